/**
 * What a BlobStore throws when the store itself fails (server/ports.ts, "Faults"): a typed
 * UniError the client can act on, never a raw errno, SDK or binding error, and never "absent".
 */
import { UniError } from '../../protocol/errors.js';

/** The store cannot take more bytes: the operator must free space; a retry then succeeds. */
export function storeFull(store: string, op: string, key: string): UniError {
  return new UniError('insufficient_storage', `blob store ${store} is full: ${op} ${key} found no space left; nothing was stored`, 507);
}

/** The store did not answer as it should: the request may be retried later. */
export function storeUnavailable(store: string, op: string, key: string, e: unknown): UniError {
  return new UniError('blob_store_unavailable', `blob store ${store}: ${op} ${key} failed: ${(e as Error)?.message ?? String(e)}`, 503);
}

/** A UniError raised on purpose (413, a bad digest, a fault already typed) passes as it is. */
export function typedFault(store: string, op: string, key: string, e: unknown): UniError {
  return e instanceof UniError ? e : storeUnavailable(store, op, key, e);
}

/** Whether `e` is one of the two faults above, as opposed to the client's or the caller's. */
export function isStoreFault(e: unknown): boolean {
  return e instanceof UniError && (e.code === 'insufficient_storage' || e.code === 'blob_store_unavailable');
}
