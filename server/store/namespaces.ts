import type { Db, SqlStatement } from '../ports.js';

export interface NamespaceRecord {
  name: string;
  owner: string;
}

export async function findNamespace(db: Db, name: string): Promise<NamespaceRecord | undefined> {
  return db.first<NamespaceRecord>('SELECT name, owner FROM namespaces WHERE name = ?', [name]);
}

export async function namespaceHasPackages(db: Db, name: string): Promise<boolean> {
  return (await db.first('SELECT 1 FROM packages WHERE namespace = ? LIMIT 1', [name])) !== undefined;
}

/** Claims a namespace for `owner` unless somebody already holds it. */
export function claimNamespaceStatement(name: string, owner: string, at: string): SqlStatement {
  return {
    sql: 'INSERT INTO namespaces (name, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    params: [name, owner, at],
  };
}
