/**
 * The archive is a function of the folder's content alone: packing twice, or packing a copy
 * with other times, owners' modes and creation order, gives the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../client/pack/pack.js';

const W = mkdtempSync(path.join(tmpdir(), 'uni-pack-'));
const UNI = path.resolve('bin/uni.js');
afterAll(() => rmSync(W, { recursive: true, force: true }));

function sha256(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

async function headers(file: string): Promise<Array<Header & { body: string }>> {
  const out: Array<Header & { body: string }> = [];
  const extract = tar.extract();
  Readable.from([gunzipSync(readFileSync(file))]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ ...entry.header, body: Buffer.concat(chunks).toString('utf8') });
  }
  return out;
}

/** A small package folder written in a given order, so two copies differ in creation order. */
function makePackage(dir: string, order: 'forward' | 'backward', manifest: object = { Name: 'hello', Version: '1.0.0', Program: '/bin/hello' }): string {
  const steps = [
    () => writeFileSync(path.join(dir, 'package.manifest'), JSON.stringify(manifest)),
    () => {
      mkdirSync(path.join(dir, 'sysroot/bin'), { recursive: true });
      writeFileSync(path.join(dir, 'sysroot/bin/hello'), '#!hello\n');
      chmodSync(path.join(dir, 'sysroot/bin/hello'), 0o700);
    },
    () => {
      mkdirSync(path.join(dir, 'sysroot/lib'), { recursive: true });
      writeFileSync(path.join(dir, 'sysroot/lib/libh.so.1.2'), 'LIB');
      chmodSync(path.join(dir, 'sysroot/lib/libh.so.1.2'), 0o600);
      symlinkSync('libh.so.1.2', path.join(dir, 'sysroot/lib/libh.so.1'));
      symlinkSync('/lib/libh.so.1', path.join(dir, 'sysroot/lib/libh.so'));
    },
    () => {
      mkdirSync(path.join(dir, 'sysroot/lib-a'), { recursive: true });
      writeFileSync(path.join(dir, 'sysroot/lib-a/z'), 'z');
      writeFileSync(path.join(dir, 'sysroot/' + 'd'.repeat(120)), 'long name');
    },
  ];
  mkdirSync(dir, { recursive: true });
  for (const step of order === 'forward' ? steps : [...steps].reverse()) step();
  return dir;
}

describe('uni pkg pack', () => {
  it('gives the same bytes for the same folder, packed twice or copied with other times and modes', async () => {
    const a = makePackage(path.join(W, 'a'), 'forward');
    const b = makePackage(path.join(W, 'b'), 'backward');
    utimesSync(path.join(b, 'sysroot/bin/hello'), new Date('2001-02-03'), new Date('2001-02-03'));
    utimesSync(path.join(b, 'sysroot'), new Date('2011-02-03'), new Date('2011-02-03'));
    chmodSync(path.join(b, 'sysroot/bin/hello'), 0o755);
    chmodSync(path.join(b, 'sysroot/lib/libh.so.1.2'), 0o644);
    const r1 = await packDirectory(a, { out: path.join(W, 'a1.tar.gz') });
    const r2 = await packDirectory(a, { out: path.join(W, 'a2.tar.gz') });
    const r3 = await packDirectory(b, { out: path.join(W, 'b.tar.gz') });
    expect(r1.digest).toBe(sha256(r1.file));
    expect(r2.digest).toBe(r1.digest);
    expect(r3.digest).toBe(r1.digest);
    expect(readFileSync(r3.file).equals(readFileSync(r1.file))).toBe(true);
  });

  it('writes ops layout: one <name>_<version>/ folder, sorted depth first, fixed times, owners and modes', async () => {
    const dir = makePackage(path.join(W, 'layout'), 'backward');
    const res = await packDirectory(dir, { out: path.join(W, 'layout.tar.gz') });
    expect(res).toMatchObject({ name: 'hello', version: '1.0.0' });
    const entries = await headers(res.file);
    expect(entries.map((e) => e.name)).toEqual([
      'hello_1.0.0/',
      'hello_1.0.0/package.manifest',
      'hello_1.0.0/sysroot/',
      'hello_1.0.0/sysroot/bin/',
      'hello_1.0.0/sysroot/bin/hello',
      `hello_1.0.0/sysroot/${'d'.repeat(120)}`,
      'hello_1.0.0/sysroot/lib/',
      'hello_1.0.0/sysroot/lib/libh.so',
      'hello_1.0.0/sysroot/lib/libh.so.1',
      'hello_1.0.0/sysroot/lib/libh.so.1.2',
      'hello_1.0.0/sysroot/lib-a/',
      'hello_1.0.0/sysroot/lib-a/z',
    ]);
    for (const e of entries) {
      expect(e.mtime?.getTime(), e.name).toBe(0);
      expect([e.uid, e.gid, e.uname ?? '', e.gname ?? ''], e.name).toEqual([0, 0, '', '']);
    }
    const mode = (n: string) => entries.find((e) => e.name === `hello_1.0.0/${n}`)!.mode;
    expect(mode('sysroot/')).toBe(0o755);
    expect(mode('sysroot/bin/hello')).toBe(0o755);
    expect(mode('sysroot/lib/libh.so.1.2')).toBe(0o644);
    expect(entries.find((e) => e.name.endsWith('libh.so.1'))).toMatchObject({ type: 'symlink', linkname: 'libh.so.1.2' });
    expect(entries.find((e) => e.name.endsWith('/lib/libh.so'))).toMatchObject({ type: 'symlink', linkname: '/lib/libh.so.1' });
    const gz = readFileSync(res.file);
    expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(gz.readUInt32LE(4)).toBe(0);
    expect(gz[9]).toBe(3);
  });

  it('names an ops package by its folder when the manifest has no Name', async () => {
    const dir = makePackage(path.join(W, 'ops', 'redis_7.2.4'), 'forward', { Program: '/bin/hello', Version: '7.2.4', Args: ['hello'] });
    const res = await packDirectory(dir, { cwd: W });
    expect(res.file).toBe(path.join(W, 'redis_7.2.4.tar.gz'));
    expect((await headers(res.file))[0]!.name).toBe('redis_7.2.4/');
  });

  it('refuses what the registry would refuse, naming it, and writes no archive', async () => {
    const cases: Array<[string, (dir: string) => void, RegExp]> = [
      ['no manifest', (d) => rmSync(path.join(d, 'package.manifest')), /has no package\.manifest/],
      ['bad JSON', (d) => writeFileSync(path.join(d, 'package.manifest'), '{"Version": '), /package\.manifest is not valid JSON/],
      ['a known key of the wrong type', (d) => writeFileSync(path.join(d, 'package.manifest'), '{"Version":"1.0.0","Name":"x","args":"-v"}'), /field \/Args must be array/],
      ['no Version', (d) => writeFileSync(path.join(d, 'package.manifest'), '{"Name":"x"}'), /lacks the required field "Version"/],
      ['bad version', (d) => writeFileSync(path.join(d, 'package.manifest'), '{"Name":"x","Version":"latest"}'), /invalid version "latest"/],
      ['escaping link', (d) => symlinkSync('../../package.manifest', path.join(d, 'sysroot/bin/out')), /sysroot\/bin\/out" is a symbolic link to "\.\.\/\.\.\/package\.manifest", which points outside sysroot/],
      ['climbing absolute link', (d) => symlinkSync('/../../etc/passwd', path.join(d, 'sysroot/bin/up')), /escapes the image root/],
      ['fifo', (d) => spawnSync('mkfifo', [path.join(d, 'sysroot/bin/pipe')]), /sysroot\/bin\/pipe is neither a file, a folder nor a symbolic link/],
    ];
    for (const [what, spoil, message] of cases) {
      const dir = makePackage(path.join(W, 'bad', what.replace(/ /g, '-')), 'forward');
      spoil(dir);
      const out = path.join(W, 'bad', `${what}.tar.gz`);
      await expect(packDirectory(dir, { out }), what).rejects.toThrow(message);
      expect(existsSync(out), what).toBe(false);
    }
    expect(readdirSync(path.join(W, 'bad')).filter((f) => f.includes('.tar.gz'))).toEqual([]);
  });

  it('refuses to write the archive inside the folder it packs, or into a folder that does not exist', async () => {
    const dir = makePackage(path.join(W, 'self'), 'forward');
    await expect(packDirectory(dir, { cwd: dir })).rejects.toThrow(/is inside the package folder/);
    await expect(packDirectory(dir, { out: path.join(W, 'no/such/dir/x.tar.gz') })).rejects.toThrow(/the folder .*no\/such\/dir does not exist/);
    expect(readdirSync(dir).sort()).toEqual(['package.manifest', 'sysroot']);
  });

  it('runs as `uni pkg pack`, printing the digest, and exits 1 naming the fault', () => {
    const dir = makePackage(path.join(W, 'cli'), 'forward');
    const out = path.join(W, 'cli.tar.gz');
    const ok = spawnSync('node', [UNI, 'pkg', 'pack', dir, '-o', out, '--json'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ file: out, digest: sha256(out), name: 'hello', version: '1.0.0' });
    writeFileSync(path.join(dir, 'package.manifest'), '{"Name":"Hello","Version":"1.0.0"}');
    const bad = spawnSync('node', [UNI, 'pkg', 'pack', dir, '-o', path.join(W, 'cli-bad.tar.gz')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^uni: package\.manifest: field \/Name must match pattern/);
    expect(existsSync(path.join(W, 'cli-bad.tar.gz'))).toBe(false);
  });

  it('packs a from-binary folder copied elsewhere to the same digest', async () => {
    const { fromBinary } = await import('../../client/pack/from-binary.js');
    const res = fromBinary({ program: '/bin/ls', version: '1.0.0', cwd: W });
    const copy = path.join(W, 'elsewhere', 'ls_1.0.0');
    cpSync(res.dir, copy, { recursive: true, verbatimSymlinks: true });
    const [p1, p2] = [await packDirectory(res.dir, { out: path.join(W, 'ls1.tgz') }), await packDirectory(copy, { out: path.join(W, 'ls2.tgz') })];
    expect(p2.digest).toBe(p1.digest);
  });
});
