/**
 * A package on this machine, as `ops pkg add` has them: `uni manifest -p ./dir` or
 * `-p ./pkg.tar.gz` puts it in the image without publishing it. A folder is packed as
 * `uni pkg pack` does, and the archive goes through the registry's own checks (the archive
 * reader and the identity rules) before it is extracted into the cache under its digest.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkArchiveIdentity } from '../../protocol/archive/identity.js';
import { readArchive } from '../../protocol/archive/read.js';
import { UniError } from '../../protocol/errors.js';
import { canonicalName, checkNamePart, DEFAULT_NAMESPACE, normalizeVersion, type Arch } from '../../protocol/names.js';
import { packDirectory } from '../pack/pack.js';
import type { Session } from '../registry/session.js';
import { ensureLocalArtifact } from './artifact.js';
import type { FetchedPackage } from './solution.js';
import { silentProgress } from '../progress.js';

/** `./x`, `../x`, `/x`, `~/x` or an archive's name: a path, where `eyberg/node` is a package name. */
export function isLocalPackage(text: string): boolean {
  return /^(\.{1,2}\/|\/|~\/)/.test(text) || /\.(tar\.gz|tgz)$/.test(text);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The package at `path` (a folder or a .tar.gz), in the cache and ready to merge, for `arch`. */
export async function localPackage(session: Session, path: string, arch: Arch): Promise<FetchedPackage> {
  const given = resolve(path.replace(/^~(?=\/)/, process.env['HOME'] ?? '~'));
  const st = statSync(given, { throwIfNoEntry: false });
  if (!st) throw new UniError('usage', `-p ${path}: no such file or folder`);
  const work = st.isDirectory() ? mkdtempSync(join(tmpdir(), 'uni-local-pkg-')) : null;
  try {
    const file = work ? (await packDirectory(given, { out: join(work, 'package.tar.gz') })).file : given;
    const contents = await readArchive(createReadStream(file, { highWaterMark: 1 << 20 }));
    contents.manifestNotes.forEach((n) => session.warn(`-p ${path}: ${n}`));
    const name = checkNamePart(contents.manifest.Name ?? contents.topFolder.replace(/_[^_]*$/, ''), 'name');
    const version = normalizeVersion(contents.manifest.Version);
    checkArchiveIdentity(contents, { name, version, arch });
    const full = `${DEFAULT_NAMESPACE}/${name}`;
    const digest = await sha256File(file);
    const req = { name: full, version, arch, digest, size: statSync(file).size };
    const tree = await ensureLocalArtifact({ layout: session.layout, client: null, progress: silentProgress, warn: session.warn }, req, file);
    const dependencies: Record<string, string> = {};
    for (const [dep, range] of Object.entries(contents.manifest.Dependencies ?? {})) dependencies[canonicalName(dep)] = range;
    return { ...req, path: tree.path, manifest: contents.manifest, dependencies, downloaded: false };
  } catch (e) {
    if (e instanceof UniError && e.code !== 'usage') throw new UniError(e.code, `-p ${path}: ${e.message}`, e.status);
    throw e;
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}
