/**
 * One blob copied from an origin into a BlobStore: staged while hashed, committed only when
 * its sha256 and size are those the origin's documents gave. Shared by sync (blobs of new and
 * of blob-less rows) and by `uni mirror verify --repair`.
 */
import { UniError } from '../../protocol/errors.js';
import type { BlobStore } from '../ports.js';
import type { Upstream } from './upstream.js';

/** The artifact a blob belongs to, as messages name it, and what its bytes must be. */
export interface BlobOrder {
  name: string;
  version: string;
  arch: string;
  digest: string;
  size: number;
}

/** The origin's bytes for `art`, each chunk counted through `onBytes` as it passes. */
export async function originBlob(upstream: Upstream, art: BlobOrder, onBytes?: (n: number) => void): Promise<ReadableStream<Uint8Array>> {
  const source = await upstream.blob(art.digest);
  if (source === null) {
    throw new UniError('upstream_missing', `origin ${upstream.url} has no blob ${art.digest} for ${art.name}@${art.version} (${art.arch})`, 502);
  }
  if (!onBytes) return source;
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

export function digestMismatch(origin: string, art: BlobOrder, got: string, size: number): UniError {
  return new UniError(
    'digest_mismatch',
    `origin ${origin} sent bytes for ${art.name}@${art.version} (${art.arch}) that hash to ${got} (${size} bytes), not ${art.digest} (${art.size} bytes); nothing was kept`,
    502,
  );
}

/**
 * Stores the origin's copy of `art`. With `replace`, what the store holds under the digest (a
 * damaged copy) is deleted once the good bytes are staged, since a commit onto a stored
 * digest keeps the stored bytes.
 */
export async function copyBlob(
  blobs: BlobStore,
  upstream: Upstream,
  art: BlobOrder,
  opts: { onBytes?: (n: number) => void; replace?: boolean } = {},
): Promise<void> {
  const staged = await blobs.stage(await originBlob(upstream, art, opts.onBytes), art.size);
  if (staged.digest !== art.digest || staged.size !== art.size) {
    await blobs.discard(staged);
    throw digestMismatch(upstream.url, art, staged.digest, staged.size);
  }
  if (opts.replace) await blobs.delete(art.digest);
  await blobs.commit(staged);
}
