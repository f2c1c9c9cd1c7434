/** Reads of packages, versions and artifacts. */
import type { Db } from '../ports.js';

export interface PackageRow {
  id: number;
  name: string;
  namespace: string;
  short_name: string;
  private: number;
  description: string | null;
}

export interface VersionRow {
  version: string;
  dependencies: string;
  yanked: number;
  yank_reason: string | null;
  published_at: string;
}

export interface ArtifactSummaryRow {
  version: string;
  arch: string;
  digest: string;
  size: number;
}

export interface ArtifactRow extends ArtifactSummaryRow {
  manifest: string;
  files: string;
  published_at: string;
}

export async function findPackage(db: Db, name: string): Promise<PackageRow | undefined> {
  return db.first<PackageRow>(
    'SELECT id, name, namespace, short_name, private, description FROM packages WHERE name = ?',
    [name],
  );
}

export interface PackageDocumentRow extends PackageRow {
  /** JSON object: version → {dependencies, yanked, yankReason?, publishedAt, artifacts}. */
  versions: string;
}

/**
 * The package row with its versions as JSON, which triggers keep up to date
 * (migrations/0003_package_document.sql): the package document is the hottest read.
 */
export async function findPackageDocument(db: Db, name: string): Promise<PackageDocumentRow | undefined> {
  return db.first<PackageDocumentRow>(
    'SELECT id, name, namespace, short_name, private, description, versions_json AS versions FROM packages WHERE name = ?',
    [name],
  );
}

export async function listVersions(db: Db, name: string): Promise<VersionRow[]> {
  return db.all<VersionRow>(
    'SELECT version, dependencies, yanked, yank_reason, published_at FROM versions WHERE package = ?',
    [name],
  );
}

export async function findVersion(db: Db, name: string, version: string): Promise<VersionRow | undefined> {
  return db.first<VersionRow>(
    'SELECT version, dependencies, yanked, yank_reason, published_at FROM versions WHERE package = ? AND version = ?',
    [name, version],
  );
}

export async function listArtifactSummaries(db: Db, name: string): Promise<ArtifactSummaryRow[]> {
  return db.all<ArtifactSummaryRow>('SELECT version, arch, digest, size FROM artifacts WHERE package = ?', [name]);
}

export async function findArtifact(db: Db, name: string, version: string, arch: string): Promise<ArtifactRow | undefined> {
  return db.first<ArtifactRow>(
    'SELECT version, arch, digest, size, manifest, files, published_at FROM artifacts WHERE package = ? AND version = ? AND arch = ?',
    [name, version, arch],
  );
}

/** The packages an archive digest belongs to, with their visibility: who may download it. */
export async function packagesOfDigest(db: Db, digest: string): Promise<{ namespace: string; private: number }[]> {
  return db.all(
    'SELECT DISTINCT p.namespace, p.private FROM artifacts a JOIN packages p ON p.name = a.package WHERE a.digest = ?',
    [digest],
  );
}
