/**
 * The per-upstream back-off, in the Db so that every process serving the mirror honours it:
 * after a failure nobody asks that upstream again before retry_at, and requests meanwhile
 * are answered from the cache at once instead of each waiting for the same timeout.
 */
import type { Clock, Db } from '../ports.js';
import type { FailureKind, UpstreamFailure } from './upstream.js';

export interface Blocked {
  kind: FailureKind;
  lastError: string;
  retryAt: string;
}

/** The back-off in force for `upstream`, or null when it may be asked now. */
export async function backoffOf(db: Db, clock: Clock, upstream: string): Promise<Blocked | null> {
  const row = await db.first<{ kind: FailureKind; last_error: string; retry_at: string }>(
    'SELECT kind, last_error, retry_at FROM upstream_health WHERE upstream = ?',
    [upstream],
  );
  if (!row || Date.parse(row.retry_at) <= clock.now().getTime()) return null;
  return { kind: row.kind, lastError: row.last_error, retryAt: row.retry_at };
}

/** Starts (or extends) the back-off, and tells `failure` when it ends. */
export async function recordFailure(db: Db, clock: Clock, upstream: string, backoffMs: number, failure: UpstreamFailure): Promise<void> {
  const now = clock.now();
  failure.retryAt = new Date(now.getTime() + backoffMs).toISOString();
  await db.run(
    `INSERT INTO upstream_health (upstream, failures, kind, last_error, failed_at, retry_at) VALUES (?, 1, ?, ?, ?, ?)
     ON CONFLICT (upstream) DO UPDATE SET failures = failures + 1, kind = excluded.kind, last_error = excluded.last_error,
                                          failed_at = excluded.failed_at, retry_at = excluded.retry_at`,
    [upstream, failure.kind, failure.message, now.toISOString(), failure.retryAt],
  );
}

export async function recordSuccess(db: Db, upstream: string): Promise<void> {
  await db.run('DELETE FROM upstream_health WHERE upstream = ?', [upstream]);
}
