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
 * Writes a blob's bytes (whole or `range`) with `status` and `headers` straight into the
 * runtime's own response object found in `env`, and returns the Response that tells the adapter
 * it is sent; null when it cannot (another runtime, or the blob is absent), and the route
 * streams it through `BlobStore.get` instead.
 */
export type BlobSender = (
  env: unknown,
  digest: string,
  range: BlobRange | undefined,
  status: number,
  headers: Record<string, string>,
) => Promise<Response | null>;

/** A committed blob as `listBlobs` reports it. */
export interface StoredBlob {
  digest: string;
  size: number;
  /** When its bytes were last written under the digest key (file mtime, S3 LastModified, R2 uploaded). */
  modifiedAt: Date;
}

/**
 * Content-addressed archive storage. A publish stages the body (hashed on the way in, never
 * held whole in memory), the app validates it, then `commit` makes it visible under its
 * digest or `discard` removes it: a refused archive leaves nothing behind.
 *
 * Faults. Only "this key does not exist" is absence: `get` and `head` answer null, `delete`
 * and `discard` succeed. Anything else the store cannot do is a fault, thrown as a UniError,
 * never reported as absent and never a raw errno, SDK or binding error:
 * - `insufficient_storage` (507) when the store is out of space (ENOSPC, EDQUOT); the message
 *   names the store, and `stage` first reads the rest of the body (up to `maxBytes`) so that
 *   the client, still sending, receives the answer instead of a reset connection;
 * - `blob_store_unavailable` (503) for every other failure: an I/O error, a read-only or
 *   unreadable folder, an S3 or R2 endpoint that refuses, times out or is unreachable.
 * `too_large` (413) and `bad_digest` (400) are the caller's faults, not the store's.
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
  /**
   * Every committed blob (never a staged body), a page at a time (at most 1000 per page), in
   * no promised order: what `uni serve gc` weighs against the artifacts that reference them.
   */
  listBlobs(): AsyncIterable<StoredBlob[]>;
}

/** Injected so that tests control time (token expiry, max-age) without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
