import type { Arch } from '../protocol/names.js';
import type { PackageManifest } from '../protocol/validate.js';

/** One artifact of a version: the archive for one architecture. */
export interface ArtifactRef {
  /** `sha256:<hex>` of the compressed archive. */
  digest: string;
  size: number;
}

/** What the resolver needs to know of one version of a package. */
export interface PackageVersionInfo {
  version: string;
  /** Canonical `namespace/name` keys, npm ranges. */
  dependencies: Record<string, string>;
  yanked: boolean;
  /** Why it was yanked, when the publisher said. */
  yankReason?: string;
  /** Architectures with an artifact; per architecture, the artifact when the source knows it. */
  arches: Arch[];
  artifacts?: Partial<Record<Arch, ArtifactRef>>;
}

/**
 * Where versions come from: a live registry, a mirror, the local cache, or a snapshot file.
 * Asynchronous so that the resolver can ask for many packages at once.
 * Throws UniError('not_found') for a package that does not exist.
 */
export interface PackageSource {
  versions(pkg: string): Promise<PackageVersionInfo[]>;
}

/** A package that is in the local cache, verified and extracted. */
export interface InstalledPackage {
  name: string;
  version: string;
  arch: Arch;
  digest: string;
  /** The extracted top folder (`<name>_<version>/`), read-only: package.manifest, sysroot/, ... */
  path: string;
  manifest: PackageManifest;
  dependencies: Record<string, string>;
}
