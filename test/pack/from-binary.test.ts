/**
 * from-binary on real programs of this machine: the sysroot must hold what `ldd` says the
 * loader maps, at the same paths, links kept as links; and a failure leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveClosure } from '../../client/elf/closure.js';
import { realGuestPath } from '../../client/elf/rootfs.js';
import { fromBinary } from '../../client/pack/from-binary.js';
import { cc, ensureDebianPackage, lddSet } from '../elf/ldd.js';

const W = mkdtempSync(path.join(tmpdir(), 'uni-from-binary-'));
afterAll(() => rmSync(W, { recursive: true, force: true }));
const UNI = path.resolve('bin/uni.js');

function readManifest(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(dir, 'package.manifest'), 'utf8')) as Record<string, unknown>;
}

/** Paths ldd prints: `name => /path` and the interpreter's own line. */
function lddPaths(program: string): string[] {
  return [...lddSet(program)].map((l) => (l.includes('=> ') ? l.split('=> ')[1]! : l));
}

describe('uni pkg from-binary', () => {
  it('lays /bin/ls and every library ldd lists at their paths, links as links with their targets', () => {
    const res = fromBinary({ program: '/bin/ls', version: 'v9.1.0', cwd: W });
    expect(res.dir).toBe(path.join(W, 'ls_9.1.0'));
    const sysroot = path.join(res.dir, 'sysroot');
    expect(readManifest(res.dir)).toEqual({
      Name: 'ls',
      Version: '9.1.0',
      Arch: process.arch === 'arm64' ? 'aarch64' : 'x86_64',
      Program: '/bin/ls',
      Args: ['ls'],
    });
    const paths = lddPaths(realpathSync('/bin/ls'));
    expect(paths.length).toBeGreaterThan(2);
    for (const p of [...paths, '/bin/ls']) {
      const host = lstatSync(p);
      const laid = lstatSync(path.join(sysroot, p));
      expect(laid.isSymbolicLink(), p).toBe(host.isSymbolicLink());
      if (host.isSymbolicLink()) expect(readlinkSync(path.join(sysroot, p))).toBe(readlinkSync(p));
      // Followed inside the sysroot (absolute targets re-rooted), the link reaches the same bytes.
      const inside = realGuestPath(sysroot, p);
      expect(inside, p).not.toBeNull();
      expect(statSync(path.join(sysroot, inside!)).size, p).toBe(statSync(p).size);
    }
  });

  it('keeps a library symlink chain (soname link and the versioned file both present)', () => {
    const res = fromBinary({ program: '/usr/bin/python3', version: '3.11.2', cwd: W, out: 'py' });
    const libz = res.closure.libraries.find((l) => l.name === 'libz.so.1')!;
    expect(lstatSync(libz.path).isSymbolicLink()).toBe(true);
    const laid = path.join(res.dir, 'sysroot', libz.path);
    expect(lstatSync(laid).isSymbolicLink()).toBe(true);
    const target = readlinkSync(laid);
    expect(target).toBe(readlinkSync(libz.path));
    expect(lstatSync(path.join(path.dirname(laid), target)).isFile()).toBe(true);
    // The program is laid as named (python3, a link) with the file it names beside it.
    expect(readManifest(res.dir)['Program']).toBe('/usr/bin/python3');
    expect(readlinkSync(path.join(res.dir, 'sysroot/usr/bin/python3'))).toBe(readlinkSync('/usr/bin/python3'));
  });

  it('lays folders that are links on the host (/lib -> usr/lib) as real folders', () => {
    const res = fromBinary({ program: '/bin/ls', version: '1.0.0', cwd: W, out: 'ls-dirs' });
    for (const dir of ['lib', 'bin']) {
      if (lstatSync(`/${dir}`).isSymbolicLink()) expect(lstatSync(path.join(res.dir, 'sysroot', dir)).isDirectory()).toBe(true);
    }
  });

  it('keeps redis-server as the link the host has, so it starts as redis-server', { timeout: 600_000 }, () => {
    ensureDebianPackage('/usr/bin/redis-server', 'redis-server');
    if (!existsSync('/usr/bin/redis-server')) throw new Error('redis-server should be installed (apt-get install redis-server)');
    const res = fromBinary({ program: '/usr/bin/redis-server', name: 'redis', version: '7.0.15', cwd: W });
    expect(readManifest(res.dir)).toMatchObject({ Name: 'redis', Program: '/usr/bin/redis-server', Args: ['redis-server'] });
    const laid = path.join(res.dir, 'sysroot/usr/bin/redis-server');
    if (lstatSync('/usr/bin/redis-server').isSymbolicLink()) expect(readlinkSync(laid)).toBe(readlinkSync('/usr/bin/redis-server'));
    expect(res.closure.libraries.map((l) => l.path).sort()).toEqual(
      lddPaths(realpathSync('/usr/bin/redis-server')).filter((p) => p !== res.closure.interpreter?.path).sort(),
    );
  });

  it('packages a static program alone', () => {
    const prog = cc(path.join(W, 'static-app'), 'int main(void){return 0;}', ['-static']);
    const res = fromBinary({ program: prog, version: '1.0.0', cwd: W });
    expect(res.files).toEqual([prog]);
    expect(readdirSync(path.join(res.dir, 'sysroot'))).toEqual([prog.split('/')[1]]);
  });

  it('copies --add folders at their paths: files, links (relative, absolute, climbing), links to folders as folders', () => {
    const R = path.join(W, 'addroot');
    const prog = cc(path.join(W, 'add-static'), 'int main(void){return 0;}', ['-static']);
    mkdirSync(`${R}/usr/bin`, { recursive: true });
    copyFileSync(prog, `${R}/usr/bin/app`);
    mkdirSync(`${R}/usr/share/ca/mozilla`, { recursive: true });
    writeFileSync(`${R}/usr/share/ca/mozilla/root.crt`, 'CERT');
    mkdirSync(`${R}/etc/ssl/certs`, { recursive: true });
    symlinkSync('/usr/share/ca/mozilla/root.crt', `${R}/etc/ssl/certs/root.pem`);
    symlinkSync('../../../usr/share/ca/mozilla/root.crt', `${R}/etc/ssl/certs/rel.pem`);
    symlinkSync('root.pem', `${R}/etc/ssl/certs/short.pem`);
    symlinkSync('/usr/share/ca', `${R}/etc/ssl/ca-dir`);
    writeFileSync(`${R}/etc/nsswitch.conf`, 'hosts: files dns\n');
    const res = fromBinary({ program: '/usr/bin/app', version: '1.0.0', cwd: W, root: R, add: ['/etc/ssl', 'etc/nsswitch.conf'] });
    const s = path.join(res.dir, 'sysroot');
    expect(readlinkSync(`${s}/etc/ssl/certs/root.pem`)).toBe('/usr/share/ca/mozilla/root.crt');
    expect(readlinkSync(`${s}/etc/ssl/certs/rel.pem`)).toBe('../../../usr/share/ca/mozilla/root.crt');
    expect(readlinkSync(`${s}/etc/ssl/certs/short.pem`)).toBe('root.pem');
    expect(readFileSync(`${s}/usr/share/ca/mozilla/root.crt`, 'utf8')).toBe('CERT');
    expect(lstatSync(`${s}/etc/ssl/ca-dir`).isDirectory()).toBe(true);
    expect(readFileSync(`${s}/etc/ssl/ca-dir/mozilla/root.crt`, 'utf8')).toBe('CERT');
    expect(readFileSync(`${s}/etc/nsswitch.conf`, 'utf8')).toBe('hosts: files dns\n');
  });

  it('follows what added shared objects (dlopen modules) need, and only notes a module whose library is missing', () => {
    const M = path.join(W, 'mods');
    mkdirSync(M, { recursive: true });
    const prog = cc(path.join(W, 'dl-app'), 'int main(void){return 0;}');
    cc(path.join(M, 'zmod.so'), 'int zlibVersion(void); int f(void){return zlibVersion() != 0;}', ['-shared', '-fPIC', '-Wl,--no-as-needed', '-lz']);
    const gone = path.join(W, 'gone-lib');
    mkdirSync(gone, { recursive: true });
    cc(path.join(gone, 'libvanish.so'), 'int v(void){return 0;}', ['-shared', '-fPIC']);
    cc(path.join(M, 'broken.so'), 'int v(void); int g(void){return v();}', ['-shared', '-fPIC', '-Wl,--no-as-needed', `-L${gone}`, '-lvanish']);
    rmSync(gone, { recursive: true });
    const before = resolveClosure(prog, { root: '/' });
    expect(before.libraries.map((l) => l.name)).not.toContain('libz.so.1');
    const res = fromBinary({ program: prog, version: '1.0.0', cwd: W, add: [M] });
    expect(res.closure.dlopened.map((o) => o.path).sort()).toEqual([`${M}/broken.so`, `${M}/zmod.so`]);
    const libz = res.closure.libraries.find((l) => l.name === 'libz.so.1');
    expect(libz?.neededBy).toBe(`${M}/zmod.so`);
    expect(existsSync(path.join(res.dir, 'sysroot', libz!.path))).toBe(true);
    expect(res.closure.missing).toEqual([{ name: 'libvanish.so', neededBy: `${M}/broken.so`, message: expect.stringContaining('library libvanish.so needed by') }]);
  });

  it('fails without --version, and with a missing library, an unknown file or an existing folder, leaving nothing', () => {
    const before = readdirSync(W).sort();
    expect(() => fromBinary({ program: '/bin/ls', cwd: W })).toThrow(/needs --version: the program is never run/);
    const dir = path.join(W, 'gone');
    mkdirSync(dir);
    cc(path.join(dir, 'libgone.so'), 'int g(void){return 0;}', ['-shared', '-fPIC']);
    const prog = cc(path.join(dir, 'needs-gone'), 'int main(void){return 0;}', ['-Wl,--no-as-needed', `-L${dir}`, '-lgone']);
    rmSync(path.join(dir, 'libgone.so'));
    expect(() => fromBinary({ program: prog, version: '1.0.0', cwd: W })).toThrow(`library libgone.so needed by ${prog} was not found`);
    expect(() => fromBinary({ program: '/bin/ls', version: '1.0.0', cwd: W, add: ['/no/such/file'] })).toThrow('/no/such/file does not exist');
    expect(() => fromBinary({ program: '/etc/hostname', version: '1.0.0', cwd: W })).toThrow('/etc/hostname is not an ELF file');
    expect(() => fromBinary({ program: '/bin/ls', version: 'latest', cwd: W })).toThrow(/invalid version "latest"/);
    expect(readdirSync(W).sort()).toEqual([...before, 'gone'].sort());
    fromBinary({ program: '/bin/ls', version: '2.0.0', cwd: W, out: 'taken' });
    expect(() => fromBinary({ program: '/bin/ls', version: '2.0.0', cwd: W, out: 'taken' })).toThrow(/taken already exists/);
  });

  it('runs as `uni pkg from-binary` and exits non-zero with the message on error', () => {
    const ok = spawnSync('node', [UNI, 'pkg', 'from-binary', '/bin/ls', '--version', '1.2.3', '-o', path.join(W, 'cli-ls'), '--json'], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const out = JSON.parse(ok.stdout) as { dir: string; manifest: { Name: string }; libraries: Array<{ name: string }> };
    expect(out.manifest.Name).toBe('ls');
    expect(out.libraries.map((l) => l.name)).toContain('libc.so.6');
    const bad = spawnSync('node', [UNI, 'pkg', 'from-binary', '/bin/ls'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/needs --version/);
  });
});
