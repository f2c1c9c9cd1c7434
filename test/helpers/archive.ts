/**
 * Builds package archives for tests straight from tar-stream and zlib, so that a test can
 * make any archive at all: good ones from real host files (/bin/true and the libraries it
 * loads), and bad ones (traversal, hard links, devices, bombs) no well-behaved packer makes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import tar, { type Headers } from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: Headers['type'];
  content?: Buffer | string;
  mode?: number;
  linkname?: string;
  /** Overrides the header's size (a header may lie about it). */
  size?: number;
}

export async function buildTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: Buffer) => chunks.push(c));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.content === undefined ? undefined : Buffer.from(e.content);
    const header: Headers = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: new Date(0) };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (type === 'file') header.size = e.size ?? body?.length ?? 0;
    if (type === 'character-device' || type === 'block-device') {
      header.devmajor = 1;
      header.devminor = 3;
    }
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, type === 'file' ? (body ?? Buffer.alloc(0)) : undefined, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function gzipTar(entries: TarEntry[]): Promise<Buffer> {
  return gzipSync(await buildTar(entries), { level: 1 });
}

/** The host's `true` program and the shared libraries it loads, as real files. */
export function hostProgram(): { program: string; libraries: string[] } {
  const program = realpathSync('/bin/true');
  const out = execFileSync('ldd', [program], { encoding: 'utf8' });
  const libraries: string[] = [];
  for (const line of out.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libraries.push(m[1]!);
  }
  return { program, libraries };
}

export interface PackageOptions {
  name: string;
  version: string;
  /** Merged over the default manifest; a key set to undefined is dropped. */
  manifest?: Record<string, unknown>;
  /** Makes the bytes differ between two archives of the same version. */
  readme?: string;
  /** Replaces the program's bytes (for instance an ELF for another CPU). */
  programBytes?: Buffer;
  extra?: TarEntry[];
}

/** A runnable package of /bin/true, laid out as ops does: `<name>_<version>/sysroot/...`. */
export function packageEntries(opts: PackageOptions): TarEntry[] {
  const top = `${opts.name}_${opts.version}`;
  const { program, libraries } = hostProgram();
  const manifest = JSON.stringify(
    { Name: opts.name, Version: opts.version, Program: '/usr/bin/true', Args: ['true'], Description: `${opts.name}, a test package`, ...opts.manifest },
    null,
    2,
  );
  const entries: TarEntry[] = [
    { name: `${top}/`, type: 'directory' },
    { name: `${top}/package.manifest`, content: manifest },
    { name: `${top}/README.md`, content: opts.readme ?? `# ${opts.name}\n` },
    { name: `${top}/sysroot/`, type: 'directory' },
    { name: `${top}/sysroot/usr/bin/true`, content: opts.programBytes ?? readFileSync(program), mode: 0o755 },
    { name: `${top}/sysroot/bin`, type: 'symlink', linkname: 'usr/bin' },
  ];
  for (const lib of libraries) {
    entries.push({ name: `${top}/sysroot${lib}`, content: readFileSync(realpathSync(lib)), mode: 0o755 });
  }
  entries.push(...(opts.extra ?? []));
  return entries;
}

export async function buildPackage(opts: PackageOptions): Promise<Buffer> {
  return gzipTar(packageEntries(opts));
}

/** The same program with e_machine set to aarch64: what a mislabelled upload looks like. */
export function programForOtherArch(): Buffer {
  const bytes = Buffer.from(readFileSync(hostProgram().program));
  bytes.writeUInt16LE(183, 18);
  return bytes;
}
