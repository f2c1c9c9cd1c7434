/**
 * Claims on committed blobs (migrations/0006_blob_claims.sql): how a failed publish and
 * `uni serve gc` delete a blob without ever deleting one that a concurrent publish of the
 * same bytes is about to reference. Every check is one statement or one batch, so SQLite and
 * D1 serialize them: of two holders giving up at once, exactly the last one deletes.
 */
import type { Db, SqlStatement } from '../ports.js';

/** Past this, a claim is a crashed holder's: ignored by every check, removed by gc. */
export const CLAIM_TTL_MS = 60 * 60 * 1000;

function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const staleBefore = (now: Date): string => new Date(now.getTime() - CLAIM_TTL_MS).toISOString();

/**
 * Claims `digest` for a publish about to commit it. Null while a deletion of that digest is
 * under way: the caller waits and tries again, since committing now could be undone by it.
 */
export async function claimForPublish(db: Db, digest: string, now: Date): Promise<string | null> {
  const id = randomId();
  const { changes } = await db.run(
    `INSERT INTO blob_claims (id, digest, deleting, at) SELECT ?, ?, 0, ?
     WHERE NOT EXISTS (SELECT 1 FROM blob_claims WHERE digest = ? AND deleting = 1 AND at > ?)`,
    [id, digest, now.toISOString(), digest, staleBefore(now)],
  );
  return changes === 1 ? id : null;
}

/** Gives a claim up; part of the batch that records the artifact, so both happen or neither. */
export function releaseClaimStatement(id: string): SqlStatement {
  return { sql: 'DELETE FROM blob_claims WHERE id = ?', params: [id] };
}

/**
 * Takes the right to delete the blobs of `digests`, giving up `ownClaim` (a failed publish's)
 * in the same batch. Granted for each digest that no artifact references and on which nobody
 * else holds a live claim; the deleter removes those blobs, then calls `endDeletions`.
 * Returns the granted digests with their deletion claims.
 */
export async function beginDeletions(db: Db, digests: string[], now: Date, ownClaim?: string): Promise<Map<string, string>> {
  const ids = digests.map(() => randomId());
  const stale = staleBefore(now);
  const results = await db.batch([
    ...(ownClaim !== undefined ? [releaseClaimStatement(ownClaim)] : []),
    ...digests.map((digest, i) => ({
      sql: `INSERT INTO blob_claims (id, digest, deleting, at) SELECT ?, ?, 1, ?
            WHERE NOT EXISTS (SELECT 1 FROM artifacts WHERE digest = ?)
              AND NOT EXISTS (SELECT 1 FROM blob_claims WHERE digest = ? AND at > ?)`,
      params: [ids[i]!, digest, now.toISOString(), digest, digest, stale],
    })),
  ]);
  const inserted = results.slice(ownClaim !== undefined ? 1 : 0);
  return new Map(digests.flatMap((digest, i) => (inserted[i]!.changes === 1 ? [[digest, ids[i]!] as const] : [])));
}

export async function endDeletions(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.batch(ids.map(releaseClaimStatement));
}

/** Removes the claims of holders that crashed; returns how many. */
export async function removeStaleClaims(db: Db, now: Date): Promise<number> {
  return (await db.run('DELETE FROM blob_claims WHERE at <= ?', [staleBefore(now)])).changes;
}

/** Of `digests`, those that an artifact references or a live claim holds: what gc must keep. */
export async function heldDigests(db: Db, digests: string[], now: Date): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  // One JSON parameter, not one per digest: D1 binds at most 100 parameters per statement.
  const list = JSON.stringify(digests);
  const rows = await db.all<{ digest: string }>(
    `SELECT digest FROM artifacts WHERE digest IN (SELECT value FROM json_each(?))
     UNION SELECT digest FROM blob_claims WHERE digest IN (SELECT value FROM json_each(?)) AND at > ?`,
    [list, list, staleBefore(now)],
  );
  return new Set(rows.map((r) => r.digest));
}
