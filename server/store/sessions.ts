/** The web UI's login sessions (migrations/0007_web.sql). Only the hash of a session id is stored. */
import type { Db } from '../ports.js';

export interface SessionRecord {
  tokenId: string;
  csrf: string;
  expiresAt: string;
}

export async function insertSession(db: Db, idHash: string, tokenId: string, csrf: string, at: string, expiresAt: string): Promise<void> {
  await db.run('INSERT INTO web_sessions (id_hash, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
    idHash,
    tokenId,
    csrf,
    at,
    expiresAt,
  ]);
}

export async function findSession(db: Db, idHash: string): Promise<SessionRecord | undefined> {
  const row = await db.first<{ token_id: string; csrf: string; expires_at: string }>(
    'SELECT token_id, csrf, expires_at FROM web_sessions WHERE id_hash = ?',
    [idHash],
  );
  return row && { tokenId: row.token_id, csrf: row.csrf, expiresAt: row.expires_at };
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.run('DELETE FROM web_sessions WHERE id_hash = ?', [idHash]);
}

/** Each login sweeps the sessions that have expired, so the table does not grow without end. */
export async function deleteExpiredSessions(db: Db, now: string): Promise<void> {
  await db.run('DELETE FROM web_sessions WHERE expires_at <= ?', [now]);
}
