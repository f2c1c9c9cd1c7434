/**
 * Deleting a committed blob that nothing references, safely against a concurrent publish of
 * the same bytes (server/store/blob-claims.ts says how).
 */
import type { BlobStore, Clock, Db } from '../ports.js';
import { beginDeletions, claimForPublish, endDeletions } from '../store/blob-claims.js';
import { UniError } from '../../protocol/errors.js';

/** A deletion takes one store call; a publish waits this long for one to end before a 503. */
const CLAIM_WAIT_MS = 10_000;
const CLAIM_RETRY_MS = 50;

/**
 * Claims `digest` before its blob is committed. Waits while another request deletes that
 * digest's blob, so that the deletion cannot remove what this publish commits next.
 */
export async function claimBlob(db: Db, clock: Clock, digest: string): Promise<string> {
  const until = clock.now().getTime() + CLAIM_WAIT_MS;
  for (;;) {
    const id = await claimForPublish(db, digest, clock.now());
    if (id !== null) return id;
    if (clock.now().getTime() >= until) {
      throw new UniError('blob_store_unavailable', `blob ${digest} has been being deleted for over ${CLAIM_WAIT_MS / 1000} s; try again`, 503);
    }
    await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
  }
}

/**
 * Gives up `ownClaim` (when a publish failed after committing) and deletes the blob when no
 * artifact references it and nobody else holds a claim on it. Returns whether it was deleted.
 * When the store fails to delete, the blob stays for gc and the fault is thrown.
 */
export async function releaseBlob(db: Db, blobs: BlobStore, clock: Clock, digest: string, ownClaim?: string): Promise<boolean> {
  const deleting = (await beginDeletions(db, [digest], clock.now(), ownClaim)).get(digest);
  if (deleting === undefined) return false;
  try {
    await blobs.delete(digest);
  } finally {
    await endDeletions(db, [deleting]);
  }
  return true;
}
