/** The tokens table. Secrets never reach this layer: only their hashes. */
import type { Db, SqlStatement } from '../ports.js';
import type { Scope } from '../auth/tokens.js';

export interface TokenRecord {
  id: string;
  hash: string;
  name: string | null;
  owner: string;
  scopes: Scope[];
  namespace: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdBy: string | null;
}

interface TokenRow {
  id: string;
  hash: string;
  name: string | null;
  owner: string;
  scopes: string;
  namespace: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  created_by: string | null;
}

const COLUMNS = 'id, hash, name, owner, scopes, namespace, created_at, expires_at, revoked_at, created_by';

function fromRow(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    hash: r.hash,
    name: r.name,
    owner: r.owner,
    scopes: r.scopes.split(' ').filter(Boolean) as Scope[],
    namespace: r.namespace,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdBy: r.created_by,
  };
}

export async function findTokenByHash(db: Db, hash: string): Promise<TokenRecord | undefined> {
  const row = await db.first<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE hash = ?`, [hash]);
  return row && fromRow(row);
}

export async function findTokenById(db: Db, id: string): Promise<TokenRecord | undefined> {
  const row = await db.first<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`, [id]);
  return row && fromRow(row);
}

export async function countTokens(db: Db): Promise<number> {
  return (await db.first<{ n: number }>('SELECT count(*) AS n FROM tokens'))?.n ?? 0;
}

export function insertTokenStatement(t: Omit<TokenRecord, 'revokedAt'>): SqlStatement {
  return {
    sql: `INSERT INTO tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    params: [t.id, t.hash, t.name, t.owner, t.scopes.join(' '), t.namespace, t.createdAt, t.expiresAt, t.createdBy],
  };
}

export async function insertToken(db: Db, t: Omit<TokenRecord, 'revokedAt'>): Promise<void> {
  const s = insertTokenStatement(t);
  await db.run(s.sql, s.params);
}

/** The tokens of one owner, oldest first. */
export async function listTokensOf(db: Db, owner: string): Promise<TokenRecord[]> {
  return (await db.all<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE owner = ? ORDER BY rowid`, [owner])).map(fromRow);
}

/**
 * Revokes a token and every token made with it, and theirs, in one statement: a leaked
 * token's offspring would otherwise outlive it.
 */
export async function revokeTokenTree(db: Db, id: string, at: string): Promise<void> {
  await db.run(
    `WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT t.id FROM tokens t JOIN tree ON t.created_by = tree.id)
     UPDATE tokens SET revoked_at = ? WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL`,
    [id, at],
  );
}

/** Revokes the tokens a name marks as bootstrap tokens, but the one with `keepHash`. */
export async function revokeNamedExcept(db: Db, name: string, keepHash: string, at: string): Promise<void> {
  await db.run('UPDATE tokens SET revoked_at = ? WHERE name = ? AND hash <> ? AND revoked_at IS NULL', [at, name, keepHash]);
}
