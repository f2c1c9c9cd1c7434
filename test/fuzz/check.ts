/**
 * What every fuzzed archive must do, on the two paths that read archives: the registry's
 * (readArchive as ingest calls it) and the client's (readArchive writing a temp tree through
 * TreeWriter, then finishing it). Each input ends in a result or a UniError, in bounded time
 * and memory; an accepted archive names nothing outside its top folder and, checked on disk
 * with lstat and readlink, writes nothing and links nothing outside its tree.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { readArchive, type ArchiveContents } from '../../protocol/archive/read.js';
import { DEFAULT_ARCHIVE_LIMITS } from '../../protocol/archive/types.js';
import { isUniError } from '../../protocol/errors.js';
import { TreeWriter } from '../../client/cache/tree.js';
import { fed } from './archives.js';

/** Long enough for a loaded machine, far below what a hang would take. */
const DEADLINE_MS = 30_000;
/** A fuzzed input unpacks to at most 200 x 64 KiB under the ratio guard: far below this. */
const MAX_HEAP_BYTES = 1024 ** 3;

export type Outcome = { accepted: true; files: number } | { accepted: false; code: string };

/** A property broken: what and how, for the report and for the failing test. */
export class Finding extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Finding';
  }
}

async function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Finding(`${what}: no answer after ${DEADLINE_MS} ms (a hang)`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function checkMemory(what: string): void {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  if (heapUsed + arrayBuffers > MAX_HEAP_BYTES) throw new Finding(`${what}: ${heapUsed + arrayBuffers} bytes of heap after one small input`);
}

/** Paths relative to the top folder, as the index gives them: none may climb or start at /. */
function checkNames(contents: ArchiveContents, what: string): void {
  for (const f of contents.files) {
    const segs = f.path.split('/');
    if (f.path.startsWith('/') || segs.includes('..') || segs.includes('')) throw new Finding(`${what}: accepted entry path "${f.path}"`);
  }
  if (contents.topFolder.includes('/') || contents.topFolder === '..' || contents.topFolder === '.') {
    throw new Finding(`${what}: accepted top folder "${contents.topFolder}"`);
  }
}

function outcomeOf(e: unknown, what: string): Outcome {
  if (e instanceof Finding) throw e;
  if (!isUniError(e)) throw new Finding(`${what}: refused with ${(e as Error)?.name ?? typeof e} "${(e as Error)?.message ?? String(e)}", not a UniError`);
  return { accepted: false, code: e.code };
}

/** The registry's path. */
export async function serverPath(bytes: Buffer, chunks: readonly number[]): Promise<Outcome> {
  const what = 'server';
  try {
    const contents = await withDeadline(readArchive(fed(bytes, chunks), { limits: DEFAULT_ARCHIVE_LIMITS }), what);
    checkNames(contents, what);
    return { accepted: true, files: contents.files.length };
  } catch (e) {
    return outcomeOf(e, what);
  } finally {
    checkMemory(what);
  }
}

/** The client's path: a temp tree written as the archive is read, finished when accepted. */
export async function clientPath(bytes: Buffer, chunks: readonly number[], tmp: string): Promise<Outcome> {
  const what = 'client';
  const area = mkdtempSync(join(tmp, 'case-'));
  const dest = join(area, 'tree');
  const writer = new TreeWriter(dest);
  try {
    const contents = await withDeadline(readArchive(fed(bytes, chunks), { visitor: writer }), what);
    checkNames(contents, what);
    await writer.finish({ digest: 'sha256:fuzz', name: 'library/fz', version: '1.0.0', arch: 'x86_64' }, contents.topFolder);
    checkTree(area, dest, contents, what);
    return { accepted: true, files: contents.files.length };
  } catch (e) {
    writer.abort();
    return outcomeOf(e, what);
  } finally {
    makeWritable(area);
    rmSync(area, { recursive: true, force: true });
    checkMemory(what);
  }
}

/** On disk: only the tree beside nothing else, every path in it indexed, every link landing inside. */
function checkTree(area: string, dest: string, contents: ArchiveContents, what: string): void {
  const beside = readdirSync(area);
  if (beside.length !== 1 || beside[0] !== 'tree') throw new Finding(`${what}: wrote ${beside.join(', ')} beside the tree`);
  const top = join(dest, contents.topFolder);
  const realTop = realpathSync(top);
  const indexed = new Set(contents.files.map((f) => f.path));
  // Folders an entry's path implies are made without an entry of their own.
  for (const f of contents.files) for (let i = f.path.indexOf('/'); i > 0; i = f.path.indexOf('/', i + 1)) indexed.add(f.path.slice(0, i));
  const walk = (rel: string): void => {
    for (const name of readdirSync(rel === '' ? top : join(top, rel))) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (!indexed.has(path)) throw new Finding(`${what}: "${path}" is on disk but not in the archive's index`);
      const st = lstatSync(join(top, path));
      if (st.isSymbolicLink()) {
        const landing = follow(top, path, what);
        if (landing === null) throw new Finding(`${what}: link "${path}" -> "${readlinkSync(join(top, path))}", followed on disk, leaves the tree`);
      } else {
        const real = realpathSync(join(top, path));
        if (!real.startsWith(realTop + sep)) throw new Finding(`${what}: "${path}" is really at ${real}, outside the tree`);
        if (st.isDirectory()) walk(path);
      }
    }
  };
  walk('');
}

/**
 * Where a link leads on disk, following every link met (readlink, lstat), with an absolute
 * target read as an image path (the tree's sysroot/, as the guest sees it). null when the
 * walk climbs above the top folder.
 */
function follow(top: string, path: string, what: string): string[] | null {
  let hops = 0;
  const walk = (from: string[], target: string, inImage: boolean): string[] | null => {
    let at = target.startsWith('/') ? ['sysroot'] : [...from];
    const floor = inImage || target.startsWith('/') ? 1 : 0;
    for (const seg of target.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        // In the image, /.. is /; below the top folder there is no image to stay in.
        if (at.length <= floor) {
          if (floor === 1) continue;
          return null;
        }
        at.pop();
        continue;
      }
      at.push(seg);
      let st;
      try {
        st = lstatSync(join(top, ...at));
      } catch {
        continue;
      }
      if (!st.isSymbolicLink()) continue;
      hops += 1;
      if (hops > 40) throw new Finding(`${what}: link "${path}" loops on disk though it was accepted`);
      const landed = walk(at.slice(0, -1), readlinkSync(join(top, ...at)), inImage || floor === 1);
      if (landed === null) return null;
      at = landed;
    }
    return at;
  };
  return walk(path.split('/').slice(0, -1), readlinkSync(join(top, path)), false);
}

function makeWritable(dir: string): void {
  try {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory()) {
        chmodSync(join(dir, d.name), 0o755);
        makeWritable(join(dir, d.name));
      }
    }
  } catch {
    // Gone already, or never made: nothing to open up.
  }
}
