/**
 * Package archives for the client benchmarks, built from real bytes: the host's /bin/true and
 * its libraries (compressible, like real programs) mixed with random data (not).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, realpathSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';

interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  content?: Buffer;
  mode?: number;
  linkname?: string;
}

function hostFiles(): Buffer[] {
  const program = realpathSync('/bin/true');
  const libs = execFileSync('ldd', [program], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
  return [program, ...libs].map((p) => readFileSync(realpathSync(p)));
}

/**
 * A package of about `megabytes` unpacked: `files` files, half of them copies of host
 * binaries and libraries, half random.
 */
export async function writePackage(path: string, name: string, version: string, megabytes: number, files: number): Promise<void> {
  const top = `${name}_${version}`;
  const host = hostFiles();
  const per = Math.floor((megabytes * 1024 * 1024) / files);
  const entries: Entry[] = [
    { name: `${top}/`, type: 'directory' },
    { name: `${top}/package.manifest`, type: 'file', content: Buffer.from(JSON.stringify({ Name: name, Version: version, Program: '/usr/bin/true' })) },
    { name: `${top}/sysroot/`, type: 'directory' },
    { name: `${top}/sysroot/usr/bin/true`, type: 'file', content: host[0]!, mode: 0o755 },
  ];
  for (let i = 0; i < files; i++) {
    const dir = `${top}/sysroot/usr/share/data/d${i % 16}`;
    if (i < 16) entries.push({ name: `${dir}/`, type: 'directory' });
    let content: Buffer;
    if (i % 2 === 0) {
      content = randomBytes(per);
    } else {
      const src = host[i % host.length]!;
      content = Buffer.alloc(per);
      for (let off = 0; off < per; off += src.length) src.copy(content, off, 0, Math.min(src.length, per - off));
    }
    entries.push({ name: `${dir}/f${i}.bin`, type: 'file', content, mode: 0o644 });
  }
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(path));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type, mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), mtime: new Date(0), ...(e.content ? { size: e.content.length } : {}) };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.content) pack.entry(header, e.content, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
}
