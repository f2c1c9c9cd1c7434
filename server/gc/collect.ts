/**
 * Blob garbage collection: deletes committed blobs that no artifact references and that are
 * older than a grace period. The grace period spares blobs committed by writers that take no
 * claim (a `uni mirror sync` between its commit and its batch); claims spare a publish in
 * flight whatever the blob's age (server/store/blob-claims.ts).
 */
import type { BlobStore, Clock, Db } from '../ports.js';
import { inParallel } from '../mirror/parallel.js';
import { beginDeletions, endDeletions, heldDigests, removeStaleClaims } from '../store/blob-claims.js';

export interface GcReport {
  /** Committed blobs looked at. */
  scanned: number;
  /** Unreferenced blobs deleted, and their bytes. */
  deleted: number;
  freedBytes: number;
  /** Unreferenced blobs kept because they are younger than the grace period. */
  young: number;
}

/** Longer than any writer without a claim takes from its commit to its record, with room to spare. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

/** Deletes run a few at a time: S3 and R2 answer each in a round trip. */
const DELETE_CONCURRENCY = 16;

export async function collectGarbage(db: Db, blobs: BlobStore, clock: Clock, graceMs: number): Promise<GcReport> {
  const report: GcReport = { scanned: 0, deleted: 0, freedBytes: 0, young: 0 };
  const started = clock.now();
  await removeStaleClaims(db, started);
  for await (const page of blobs.listBlobs()) {
    report.scanned += page.length;
    const held = await heldDigests(db, page.map((b) => b.digest), started);
    const unheld = page.filter((b) => !held.has(b.digest));
    const old = unheld.filter((b) => started.getTime() - b.modifiedAt.getTime() > graceMs);
    report.young += unheld.length - old.length;
    if (old.length === 0) continue;
    // Checked again inside the batch that takes the deletion claims: a publish may have
    // claimed or recorded one of these since the page was read.
    const granted = await beginDeletions(db, old.map((b) => b.digest), clock.now());
    try {
      await inParallel(old.filter((b) => granted.has(b.digest)), DELETE_CONCURRENCY, async (b) => {
        await blobs.delete(b.digest);
        report.deleted += 1;
        report.freedBytes += b.size;
      });
    } finally {
      await endDeletions(db, [...granted.values()]);
    }
  }
  return report;
}

export function describeGc(r: GcReport, graceMs: number): string {
  const mib = (r.freedBytes / 1024 ** 2).toFixed(1);
  return (
    `gc: ${r.deleted} unreferenced blob(s) deleted, ${r.freedBytes} bytes (${mib} MiB) freed, of ${r.scanned} scanned; ` +
    `${r.young} unreferenced kept, younger than the grace period of ${graceMs / 1000} s`
  );
}
