import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import { validatePackageManifest } from '../../protocol/validate.js';
import type { InstalledPackage, PackageSource } from '../types.js';
import { ensureArtifact, label, type ArtifactContext, type ArtifactRequest } from './artifact.js';

export interface FetchSolutionOptions extends ArtifactContext {
  /** name → version, as the resolver or a lockfile gives it. */
  solution: Record<string, string>;
  arch: Arch;
  source: PackageSource;
  /** name → `sha256:<hex>` from a lockfile: the registry must still list exactly these bytes. */
  lockDigests?: Record<string, string>;
  /** Downloads at once. */
  concurrency?: number;
}

export interface FetchedPackage extends InstalledPackage {
  downloaded: boolean;
}

/** Which archive to fetch for one resolved package, checked against the lockfile when there is one. */
export async function artifactFor(
  source: PackageSource,
  name: string,
  version: string,
  arch: Arch,
  lockDigest?: string,
): Promise<ArtifactRequest & { dependencies: Record<string, string> }> {
  const info = (await source.versions(name)).find((v) => v.version === version);
  if (!info) throw new UniError('not_found', `${name}@${version} is not in the registry`, 404);
  const artifact = info.artifacts?.[arch];
  if (!artifact) {
    const has = info.arches.length ? `it is built for ${info.arches.join(', ')} only` : 'it has no artifacts';
    throw new UniError('no_artifact', `${name}@${version} has no artifact for ${arch}: ${has}`, 404);
  }
  if (lockDigest && lockDigest !== artifact.digest) {
    throw new UniError(
      'digest_mismatch',
      `${label({ name, version, arch })}: the lockfile pins ${lockDigest} but the registry now lists ${artifact.digest}`,
    );
  }
  return { name, version, arch, digest: artifact.digest, size: artifact.size, dependencies: info.dependencies };
}

async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Makes every package of a solution present in the cache, verified and extracted, downloading
 * what is missing in parallel, and says where each tree is.
 */
export async function fetchSolution(opts: FetchSolutionOptions): Promise<FetchedPackage[]> {
  const names = Object.keys(opts.solution).sort();
  const requests = await Promise.all(
    names.map((n) => artifactFor(opts.source, n, opts.solution[n]!, opts.arch, opts.lockDigests?.[n])),
  );
  return eachLimited(requests, opts.concurrency ?? 4, async (req) => {
    const tree = await ensureArtifact(opts, req);
    opts.progress.packageDone();
    // Read as the registry read it: ops's spellings (lower-case keys, Version 1.0) in their canonical form.
    const manifest = validatePackageManifest(JSON.parse(readFileSync(join(tree.path, 'package.manifest'), 'utf8')));
    return {
      name: req.name,
      version: req.version,
      arch: req.arch,
      digest: req.digest,
      path: tree.path,
      manifest,
      dependencies: req.dependencies,
      downloaded: tree.downloaded,
    };
  });
}
