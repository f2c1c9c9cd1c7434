/**
 * Group commit for a sync: the metadata of several packages (and the feed position that
 * follows them) goes into one Db batch instead of one transaction each. Every caller's
 * promise settles only once its own statements are committed, so "committed before the
 * position" still holds; a batch is all or nothing, and one that fails is retried entry by
 * entry so that a bad package fails alone, as it would have with a transaction of its own.
 * (With SQLite at synchronous=FULL each transaction is an fsync on the event loop's thread.)
 */
import type { Db, SqlStatement } from '../ports.js';

export type Commit = (statements: SqlStatement[]) => Promise<void>;

interface Entry {
  statements: SqlStatement[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Entries queued within `windowMs` of the first one share a batch; a batch also starts as
 * soon as `maxEntries` are waiting. Only one batch runs at a time, in queue order.
 */
export function groupCommit(db: Db, windowMs = 20, maxEntries = 64): Commit {
  let pending: Entry[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> = Promise.resolve();

  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const entries = pending;
    pending = [];
    if (entries.length === 0) return;
    running = running.then(async () => {
      try {
        await db.batch(entries.flatMap((e) => e.statements));
        for (const e of entries) e.resolve();
      } catch (error) {
        if (entries.length === 1) return entries[0]!.reject(error);
        for (const e of entries) {
          try {
            await db.batch(e.statements);
            e.resolve();
          } catch (alone) {
            e.reject(alone);
          }
        }
      }
    });
  };

  return (statements) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ statements, resolve, reject });
      if (pending.length >= maxEntries) flush();
      else timer ??= setTimeout(flush, windowMs);
    });
}
