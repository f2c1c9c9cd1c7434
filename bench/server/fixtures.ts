/** Archives for the benchmark, written to files with gzip level 0 (stored) so that building a GiB takes seconds, not minutes. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

function manifest(name: string, version: string, description: string, dependencies?: Record<string, string>): string {
  return JSON.stringify({ Name: name, Version: version, Description: description, ...(dependencies ? { Dependencies: dependencies } : {}) });
}

/** A package of one data file of `bytes` incompressible bytes, written straight to `file`. */
export async function writeBigArchive(file: string, name: string, version: string, bytes: number): Promise<void> {
  const pack = tar.pack();
  const top = `${name}_${version}`;
  const block = randomBytes(1024 * 1024);
  const done = pipeline(pack, createGzip({ level: 0 }), createWriteStream(file));
  pack.entry({ name: `${top}/package.manifest` }, manifest(name, version, 'benchmark payload'));
  const entry = pack.entry({ name: `${top}/sysroot/data.bin`, size: bytes, mode: 0o644 }) as unknown as Writable;
  for (let left = bytes; left > 0; left -= block.length) {
    const chunk = left >= block.length ? block : block.subarray(0, left);
    if (!entry.write(chunk)) await new Promise((r) => entry.once('drain', r));
  }
  entry.end();
  await new Promise<void>((resolve, reject) => entry.on('finish', resolve).on('error', reject));
  pack.finalize();
  await done;
}

/** A small package, for filling a package document with versions. */
export async function smallArchive(name: string, version: string, description = 'a small package for the benchmark', dependencies?: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const out = pack as unknown as Readable;
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => out.on('end', r));
  const top = `${name}_${version}`;
  pack.entry({ name: `${top}/package.manifest` }, manifest(name, version, description, dependencies));
  pack.entry({ name: `${top}/sysroot/etc/hello.txt` }, `hello from ${version}\n`);
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** A verdaccio packument with `versions` versions and `padding` more bytes. */
export function packument(name: string, versions: string[], padding: number, dependencies: Record<string, string> = {}): object {
  // verdaccio drops a top-level description but serves `readme`: the padding goes there.
  const doc: Record<string, any> = { name, readme: 'x'.repeat(padding), versions: {}, time: {}, 'dist-tags': { latest: versions.at(-1) }, _attachments: {}, _uplinks: {}, _distfiles: {}, _rev: '1-0' };
  for (const v of versions) {
    const shasum = createHash('sha1').update(v).digest('hex');
    doc['versions'][v] = { name, version: v, description: 'a small package for the benchmark', dependencies, dist: { tarball: `http://localhost:4873/${name}/-/${name}-${v}.tgz`, shasum } };
    doc['time'][v] = new Date(0).toISOString();
  }
  return doc;
}
