import type { Db } from '../ports.js';
import { visibleSql, type ReadReach } from './visibility.js';

export interface ChangeRow {
  seq: number;
  type: 'publish' | 'yank' | 'unyank';
  package: string;
  version: string;
  arch: string | null;
  digest: string | null;
  at: string;
}

export async function listChanges(db: Db, since: number, limit: number, reach: ReadReach): Promise<ChangeRow[]> {
  const visible = visibleSql(reach, 'p');
  return db.all<ChangeRow>(
    `SELECT c.seq, c.type, c.package, c.version, c.arch, c.digest, c.at
     FROM changes c JOIN packages p ON p.name = c.package
     WHERE c.seq > ? AND ${visible.sql} ORDER BY c.seq LIMIT ?`,
    [since, ...visible.params, limit],
  );
}
