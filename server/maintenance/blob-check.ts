/**
 * The blob check behind `uni mirror verify` and `uni serve scrub`: every blob an artifact row
 * references is looked up in the store (present, of the recorded size) and, when `deep`,
 * read and re-hashed. Node only (the CLI runs it against a data folder or an S3 store).
 */
import { createHash } from 'node:crypto';
import type { BlobStore, Db } from '../ports.js';
import { inParallel } from '../mirror/parallel.js';
import { referencedBlobs, type BlobRef, type BlobScope } from '../store/blob-refs.js';

export type BlobFault = 'missing' | 'damaged';

export interface BlobProblem {
  ref: BlobRef;
  fault: BlobFault;
  detail: string;
}

/** The artifact a blob belongs to, as reports name it: `library/redis@7.2.4 x86_64`. */
export function artifactOf(ref: BlobRef): string {
  return `${ref.package}@${ref.version} ${ref.arch}`;
}

export function describeRef(ref: BlobRef): string {
  return `${ref.digest} (${artifactOf(ref)})`;
}

async function hashOf(blobs: BlobStore, digest: string): Promise<{ digest: string; size: number } | null> {
  const blob = await blobs.get(digest);
  if (!blob) return null;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of blob.body) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/**
 * What is wrong with one blob, or null. A wrong hash is read a second time before it counts:
 * a scrub removes what it finds damaged, so a read cut short on the way must not condemn a
 * good blob.
 */
export async function checkBlob(blobs: BlobStore, ref: BlobRef, deep: boolean): Promise<BlobProblem | null> {
  const head = await blobs.head(ref.digest);
  if (head === null) return { ref, fault: 'missing', detail: `${describeRef(ref)} is missing from the store` };
  if (head.size !== ref.size) {
    return { ref, fault: 'damaged', detail: `${describeRef(ref)} holds ${head.size} bytes, not ${ref.size}` };
  }
  if (!deep) return null;
  for (let attempt = 0; ; attempt++) {
    const got = await hashOf(blobs, ref.digest);
    if (got === null) return { ref, fault: 'missing', detail: `${describeRef(ref)} is missing from the store` };
    if (got.digest === ref.digest && got.size === ref.size) return null;
    if (attempt === 1) {
      return { ref, fault: 'damaged', detail: `${describeRef(ref)} hashes to ${got.digest} (${got.size} bytes)` };
    }
  }
}

export interface CheckReport {
  checked: number;
  problems: BlobProblem[];
}

export async function checkBlobs(
  db: Db,
  blobs: BlobStore,
  opts: { scope: BlobScope; deep: boolean; concurrency: number; onChecked?: (ref: BlobRef) => void },
): Promise<CheckReport> {
  const refs = await referencedBlobs(db, opts.scope);
  const found = await inParallel(refs, opts.concurrency, async (ref) => {
    const problem = await checkBlob(blobs, ref, opts.deep);
    opts.onChecked?.(ref);
    return problem;
  });
  return { checked: refs.length, problems: found.filter((p): p is BlobProblem => p !== null) };
}
