/** The JSON documents the registry serves, assembled from rows (schemas/*.schema.json). */
import type { FileIndexEntry } from '../schemas/archive/types.js';
import type { PackageManifest } from '../schemas/validate.js';
import type { ArtifactRow, ArtifactSummaryRow, PackageRow, VersionRow } from './store/packages.js';

export interface PackageDocument {
  name: string;
  namespace: string;
  private: boolean;
  description?: string;
  versions: Record<
    string,
    {
      dependencies: Record<string, string>;
      yanked: boolean;
      yankReason?: string;
      publishedAt: string;
      artifacts: Record<string, { digest: string; size: number }>;
    }
  >;
}

export interface ArtifactDocument {
  name: string;
  version: string;
  arch: string;
  digest: string;
  size: number;
  publishedAt: string;
  manifest: PackageManifest;
  files: FileIndexEntry[];
}

export function packageDocument(pkg: PackageRow, versions: VersionRow[], artifacts: ArtifactSummaryRow[]): PackageDocument {
  const doc: PackageDocument = { name: pkg.name, namespace: pkg.namespace, private: pkg.private === 1, versions: {} };
  if (pkg.description !== null) doc.description = pkg.description;
  for (const v of versions) {
    doc.versions[v.version] = {
      dependencies: JSON.parse(v.dependencies) as Record<string, string>,
      yanked: v.yanked === 1,
      ...(v.yank_reason !== null ? { yankReason: v.yank_reason } : {}),
      publishedAt: v.published_at,
      artifacts: {},
    };
  }
  for (const a of artifacts) {
    const v = doc.versions[a.version];
    if (v) v.artifacts[a.arch] = { digest: a.digest, size: a.size };
  }
  return doc;
}

export function artifactDocument(name: string, row: ArtifactRow): ArtifactDocument {
  return {
    name,
    version: row.version,
    arch: row.arch,
    digest: row.digest,
    size: row.size,
    publishedAt: row.published_at,
    manifest: JSON.parse(row.manifest) as PackageManifest,
    files: JSON.parse(row.files) as FileIndexEntry[],
  };
}
