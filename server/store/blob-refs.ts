/** The blobs the registry's artifact rows reference: what a complete store must hold. */
import type { Db } from '../ports.js';

/** One stored blob and an artifact that references it (the first by name, for messages). */
export interface BlobRef {
  digest: string;
  size: number;
  package: string;
  version: string;
  arch: string;
  /** The upstream the package was copied from (mirror_packages), or null for a local package. */
  upstream: string | null;
}

export interface BlobScope {
  /** Only packages in these namespaces; all when null. */
  namespaces: readonly string[] | null;
  /** Only artifacts of these architectures; all when null. */
  arches: readonly string[] | null;
  /** Only packages copied from this upstream (a sync's origin); any package when absent. */
  upstream?: string;
}

export const EVERY_BLOB: BlobScope = { namespaces: null, arches: null };

/** Each referenced digest once, in digest order. A digest shared by packages is checked once. */
export async function referencedBlobs(db: Db, scope: BlobScope): Promise<BlobRef[]> {
  const rows = await db.all<BlobRef>(
    `SELECT a.digest, a.size, a.package, a.version, a.arch, m.upstream
       FROM artifacts a LEFT JOIN mirror_packages m ON m.package = a.package
      ORDER BY a.digest, m.upstream IS NULL, a.package, a.version, a.arch`,
  );
  const out: BlobRef[] = [];
  for (const r of rows) {
    if (out.at(-1)?.digest === r.digest) continue;
    if (scope.namespaces && !scope.namespaces.includes(r.package.slice(0, r.package.indexOf('/')))) continue;
    if (scope.arches && !scope.arches.includes(r.arch)) continue;
    if (scope.upstream !== undefined && r.upstream !== scope.upstream) continue;
    out.push(r);
  }
  return out;
}

