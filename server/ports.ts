/**
 * The registry's two ports. The Hono app is built from these (plus a clock and config) and
 * never touches a file, a socket or a global: the same app runs on Node (better-sqlite3 +
 * a folder or S3) and on Workers (D1 + R2); only the adapters and the entry file differ.
 *
 * Nothing here may rely on state kept in memory between requests: several processes or
 * isolates may serve one registry.
 */

/** A parameter SQLite and D1 both bind. */
export type SqlValue = string | number | null | Uint8Array;

export interface SqlStatement {
  sql: string;
  params?: SqlValue[];
}

export interface RunResult {
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  changes: number;
}

/**
 * SQL over SQLite's dialect. The same migrations/ files and the same statements serve
 * better-sqlite3 and D1. D1 has no interactive transactions, so atomic writes go through
 * `batch`, which runs its statements in one transaction: all or nothing.
 */
export interface Db {
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>;
  first<T>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: SqlValue[]): Promise<RunResult>;
  batch(statements: SqlStatement[]): Promise<RunResult[]>;
  close(): Promise<void>;
}

/** A blob written under a temporary key, not yet visible under its digest. */
export interface StagedBlob {
  key: string;
  /** `sha256:<hex>` of the bytes written. */
  digest: string;
  size: number;
}

export interface BlobRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface BlobBody {
  body: ReadableStream<Uint8Array>;
  /** Size of the whole blob, not of the range. */
  size: number;
  range?: BlobRange;
}

/**
 * Content-addressed archive storage. A publish stages the body (hashed on the way in, never
 * held whole in memory), the app validates it, then `commit` makes it visible under its
 * digest or `discard` removes it: a refused archive leaves nothing behind.
 */
export interface BlobStore {
  /** Streams `body` into a temporary object. Fails with 413 past `maxBytes`, leaving nothing. */
  stage(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<StagedBlob>;
  /** Moves a staged blob to its digest key; a no-op when that digest is already stored. */
  commit(staged: StagedBlob): Promise<void>;
  discard(staged: StagedBlob): Promise<void>;
  get(digest: string, range?: BlobRange): Promise<BlobBody | null>;
  head(digest: string): Promise<{ size: number } | null>;
  delete(digest: string): Promise<void>;
  /**
   * A short-lived URL the client may fetch the blob from directly (S3 presigned GET), or null
   * when the store has none and the registry streams the bytes itself.
   */
  presign?(digest: string, ttlSeconds: number): Promise<string | null>;
  /**
   * Removes staged bodies untouched for `olderThanMs` before `now`: what a process killed
   * mid-publish left behind. Anything younger may be another process's publish in progress
   * and stays. Returns how many it removed. R2 has none: a bucket lifecycle rule does it.
   */
  sweepStaged?(olderThanMs: number, now: Date): Promise<number>;
}

/** Injected so that tests control time (token expiry, max-age) without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
