/** The JSON documents the registry serves, assembled from rows (protocol/*.schema.json). */
import type { FileIndexEntry } from '../protocol/archive/types.js';
import type { PackageManifest } from '../protocol/validate.js';
import type { ArtifactRow, PackageDocumentRow } from './store/packages.js';

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

/** The package document (PackageDocument) as JSON text; its versions arrive as JSON from the store. */
export function packageDocumentJson(row: PackageDocumentRow): string {
  const head: Record<string, unknown> = { name: row.name, namespace: row.namespace, private: row.private === 1 };
  if (row.description !== null) head['description'] = row.description;
  return `${JSON.stringify(head).slice(0, -1)},"versions":${row.versions}}`;
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
