/**
 * `uni pkg pack`: a package folder becomes the archive the registry stores, byte for byte
 * the same on every machine with the same zlib: ops's layout (one `<name>_<version>/` top
 * folder), entries depth first in byte order, mtime 0, uid/gid 0 with no user names, modes
 * reduced to 0755/0644, and a gzip header with no time and the Unix OS byte.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Pack } from 'tar-stream';
import { checkEntryCount, checkUnpackedSize, entrySegments, resolveLinkTarget } from '../../protocol/archive/rules.js';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../../protocol/archive/types.js';
import { UniError } from '../../protocol/errors.js';
import { normalizeVersion, topFolderName } from '../../protocol/names.js';
import { readPackageManifestData, type PackageManifest } from '../../protocol/validate.js';
import { silentTask, type TaskProgress } from '../progress.js';

export const MANIFEST_FILE = 'package.manifest';
/** Every entry's time: the epoch, so that when a file was copied never shows in the bytes. */
const FIXED_MTIME = new Date(0);
/** The gzip header's OS byte (RFC 1952): zlib writes the build platform's; we always say Unix. */
const GZIP_OS_UNIX = 3;
const GZIP_OS_OFFSET = 9;
/** gzip's own default: level 9 takes twice as long on a 100 MB runtime for about 1% less. */
const GZIP_LEVEL = 6;

export interface PackResult {
  file: string;
  /** `sha256:<hex>` of the compressed bytes: the artifact's identity. */
  digest: string;
  size: number;
  name: string;
  version: string;
  manifest: PackageManifest;
  /** What reading package.manifest as ops does adapted (protocol/ops-manifest.ts). */
  manifestNotes: string[];
}

interface Entry {
  /** Relative to the top folder, `/`-separated; '' for the top folder itself. */
  rel: string;
  abs: string;
  stats: Stats;
  linkTarget?: string;
}

/** Reads and checks package.manifest with the registry's own schema. */
export function readPackageManifest(dir: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): { manifest: PackageManifest; notes: string[] } {
  const file = path.join(dir, MANIFEST_FILE);
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    throw new UniError('invalid_manifest', `${dir} has no ${MANIFEST_FILE}; a package folder needs one at its top`);
  }
  if (!st.isFile()) throw new UniError('invalid_manifest', `${file} is not a regular file`);
  if (st.size > limits.maxManifestBytes) {
    throw new UniError('invalid_manifest', `${file} is larger than ${limits.maxManifestBytes} bytes`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UniError('invalid_manifest', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return readPackageManifestData(data);
}

/** The package's name: the manifest's Name, else the `<name>_<version>` of the folder, as ops names it. */
function packageName(dir: string, manifest: PackageManifest): string {
  if (manifest.Name) return manifest.Name;
  const base = path.basename(path.resolve(dir));
  const m = /^([a-z0-9][a-z0-9._-]{0,63})_v?\d+\.\d+\.\d+.*$/.exec(base);
  if (!m) throw new UniError('invalid_manifest', `${MANIFEST_FILE} has no Name and the folder "${base}" is not named <name>_<version>; add "Name"`);
  return m[1]!;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Every entry under `dir`, each folder before its content, siblings in byte order. */
function collect(dir: string, top: string, limits: ArchiveLimits): Entry[] {
  const out: Entry[] = [];
  let unpacked = 0;
  const visit = (rel: string): void => {
    const abs = rel === '' ? dir : path.join(dir, rel);
    const stats = lstatSync(abs);
    const entryName = rel === '' ? `${top}/` : `${top}/${rel}`;
    entrySegments(entryName, limits);
    checkEntryCount(out.length + 1, limits, entryName);
    if (stats.isSymbolicLink()) {
      const target = readlinkSync(abs);
      resolveLinkTarget(entryName, rel.split('/').slice(0, -1), target, limits);
      out.push({ rel, abs, stats, linkTarget: target });
    } else if (stats.isFile()) {
      unpacked += stats.size;
      checkUnpackedSize(unpacked, limits, entryName);
      out.push({ rel, abs, stats });
    } else if (stats.isDirectory()) {
      out.push({ rel, abs, stats });
      for (const name of readdirSync(abs).sort(byteOrder)) visit(rel === '' ? name : `${rel}/${name}`);
    } else {
      throw new UniError('bad_archive', `${abs} is neither a file, a folder nor a symbolic link; a package can hold only those`);
    }
  };
  visit('');
  return out;
}

type HeaderArgument = Parameters<Pack['entry']>[0];

function header(top: string, e: Entry): HeaderArgument {
  const name = e.rel === '' ? top : `${top}/${e.rel}`;
  const fixed = { mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
  if (e.linkTarget !== undefined) return { ...fixed, name, type: 'symlink', linkname: e.linkTarget, mode: 0o777 };
  if (e.stats.isDirectory()) return { ...fixed, name: `${name}/`, type: 'directory', mode: 0o755 };
  return { ...fixed, name, type: 'file', size: e.stats.size, mode: e.stats.mode & 0o111 ? 0o755 : 0o644 };
}

async function feed(pack: Pack, top: string, entries: Entry[], onBytes: (n: number) => void): Promise<void> {
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const h = header(top, e);
      if (h.type !== 'file') {
        pack.entry(h, (err) => (err ? reject(err) : resolve()));
        return;
      }
      const sink = pack.entry(h, (err) => (err ? reject(err) : resolve()));
      const file = createReadStream(e.abs);
      file.on('data', (chunk) => onBytes(chunk.length));
      pipeline(file, sink).catch(reject);
    });
  }
  pack.finalize();
}

/** Sets the gzip header's OS byte, wherever the chunk boundaries fall. */
async function* fixGzipHeader(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pos = 0;
  for await (const chunk of source) {
    if (pos <= GZIP_OS_OFFSET && pos + chunk.length > GZIP_OS_OFFSET) chunk[GZIP_OS_OFFSET - pos] = GZIP_OS_UNIX;
    pos += chunk.length;
    yield chunk;
  }
}

/**
 * Packs the package folder `dir` into `out` (default `<cwd>/<name>_<version>.tar.gz`). The
 * archive is written to a temporary file beside `out` and renamed once complete.
 */
export async function packDirectory(
  dir: string,
  opts: { out?: string; cwd?: string; limits?: ArchiveLimits; progress?: (totalBytes: number) => TaskProgress } = {},
): Promise<PackResult> {
  const limits = opts.limits ?? DEFAULT_ARCHIVE_LIMITS;
  const src = path.resolve(opts.cwd ?? process.cwd(), dir);
  let st: Stats;
  try {
    st = lstatSync(src);
  } catch {
    throw new UniError('not_found', `${src} does not exist`);
  }
  if (!st.isDirectory()) throw new UniError('usage', `${src} is not a folder; pack takes a package folder (package.manifest and sysroot/)`);
  const { manifest, notes: manifestNotes } = readPackageManifest(src, limits);
  const name = packageName(src, manifest);
  const version = normalizeVersion(manifest.Version);
  const top = topFolderName(name, version);
  const entries = collect(src, top, limits);

  const out = path.resolve(opts.cwd ?? process.cwd(), opts.out ?? `${top}.tar.gz`);
  // Inside the folder, the archive would be packed into the next archive of the same folder.
  if (!path.relative(src, out).startsWith('..')) {
    throw new UniError('usage', `${out} is inside the package folder ${src}; write the archive elsewhere with -o`);
  }
  if (!existsSync(path.dirname(out))) throw new UniError('not_found', `cannot write ${out}: the folder ${path.dirname(out)} does not exist`);
  const tmp = `${out}.partial-${process.pid}-${Date.now()}`;
  const hash = createHash('sha256');
  let size = 0;
  const pack = tar.pack();
  const progress = opts.progress?.(entries.reduce((sum, e) => sum + (e.stats.isFile() ? e.stats.size : 0), 0)) ?? silentTask;
  try {
    await Promise.all([
      feed(pack, top, entries, (n) => progress.bytes(n)).catch((e: unknown) => {
        pack.destroy(e as Error);
        throw e;
      }),
      pipeline(
        pack,
        createGzip({ level: GZIP_LEVEL }),
        fixGzipHeader,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: 'wx' }),
      ),
    ]);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    progress.stop();
  }
  return { file: out, digest: `sha256:${hash.digest('hex')}`, size, name, version, manifest, manifestNotes };
}
