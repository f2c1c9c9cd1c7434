/**
 * Fetches a missing or damaged blob again from the upstream its package was copied from,
 * checked against its digest before it replaces anything. A local package has no upstream:
 * its blob can only come back from a backup.
 */
import { copyBlob } from '../mirror/copy-blob.js';
import type { FetchFn } from '../mirror/config.js';
import { upstreamClient, type Upstream } from '../mirror/upstream.js';
import type { BlobStore } from '../ports.js';
import type { BlobProblem } from './blob-check.js';

export interface RepairOptions {
  fetch: FetchFn;
  /** Token for the upstreams (reaches their private packages). */
  token?: string;
  timeoutMs: number;
}

export type RepairOutcome = { repaired: true } | { repaired: false; why: string };

export function repairer(blobs: BlobStore, opts: RepairOptions): (problem: BlobProblem) => Promise<RepairOutcome> {
  const upstreams = new Map<string, Upstream>();
  const upstreamAt = (url: string): Upstream => {
    let u = upstreams.get(url);
    if (!u) {
      u = upstreamClient({ url, ...(opts.token !== undefined ? { token: opts.token } : {}), fetch: opts.fetch, timeoutMs: opts.timeoutMs });
      upstreams.set(url, u);
    }
    return u;
  };
  return async ({ ref, fault }) => {
    if (ref.upstream === null) {
      return { repaired: false, why: `${ref.package} was published here, so no upstream holds it: restore the blob from a backup` };
    }
    try {
      const order = { name: ref.package, version: ref.version, arch: ref.arch, digest: ref.digest, size: ref.size };
      await copyBlob(blobs, upstreamAt(ref.upstream), order, { replace: fault === 'damaged' });
      return { repaired: true };
    } catch (e) {
      return { repaired: false, why: (e as Error).message };
    }
  };
}
