/**
 * The loader's search order on programs and libraries built here with gcc: each case is
 * checked against `ldd` too, so that the expectation is the real loader's, not ours.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveClosure, type Closure } from '../../client/elf/closure.js';
import { ldSoConfDirs } from '../../client/elf/ldconfig.js';
import { cc, lddSet } from './ldd.js';

const T = mkdtempSync(path.join(tmpdir(), 'uni-elf-closure-'));
afterAll(() => rmSync(T, { recursive: true, force: true }));

function lib(file: string, body: string, flags: string[] = []): string {
  mkdirSync(path.dirname(file), { recursive: true });
  return cc(file, body, ['-shared', '-fPIC', `-Wl,-soname,${path.basename(file)}`, ...flags]);
}

function app(file: string, flags: string[]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  return cc(file, 'int main(void){return 0;}', ['-Wl,--no-as-needed', ...flags]);
}

function found(c: Closure): Record<string, string> {
  return Object.fromEntries(c.libraries.map((l) => [l.name, l.path]));
}

function setOf(c: Closure): Set<string> {
  const s = new Set(c.libraries.map((l) => `${l.name} => ${l.path}`));
  if (c.interpreter) s.add(c.interpreter.path);
  return s;
}

function asElf(file: string, machine: number): void {
  const b = readFileSync(file);
  b.writeUInt16LE(machine, 18);
  writeFileSync(file, b);
}

describe('library search order', () => {
  beforeAll(() => {
    lib(`${T}/lib1/libb.so`, 'int b(void){return 2;}');
    lib(`${T}/lib1/liba.so`, 'int b(void); int a(void){return b();}', [`-L${T}/lib1`, '-lb']);
    lib(`${T}/va/libv.so`, 'int v(void){return 1;}');
    lib(`${T}/vb/libv.so`, 'int v(void){return 2;}');
  });

  it('follows RPATH with $ORIGIN, and the program\'s RPATH for its libraries\' needs', () => {
    const prog = app(`${T}/rp/bin/app`, [`-L${T}/lib1`, `-Wl,-rpath-link,${T}/lib1`, '-la', '-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN/../../lib1']);
    const c = resolveClosure(prog, { root: '/' });
    expect(found(c)['liba.so']).toBe(`${T}/lib1/liba.so`);
    expect(found(c)['libb.so']).toBe(`${T}/lib1/libb.so`);
    expect(c.libraries.find((l) => l.name === 'libb.so')?.neededBy).toBe(`${T}/lib1/liba.so`);
    expect(setOf(c)).toEqual(lddSet(prog));
  });

  it('does not lend a RUNPATH to the libraries: a library only the program\'s RUNPATH finds is missing for them', () => {
    const prog = app(`${T}/run/bin/app`, [`-L${T}/lib1`, `-Wl,-rpath-link,${T}/lib1`, '-la', '-Wl,--enable-new-dtags', '-Wl,-rpath,$ORIGIN/../../lib1']);
    expect([...lddSet(prog)]).toContain('libb.so => not found');
    expect(() => resolveClosure(prog, { root: '/' })).toThrow(`library libb.so needed by ${T}/lib1/liba.so was not found`);
  });

  it('searches RPATH before LD_LIBRARY_PATH, and LD_LIBRARY_PATH before RUNPATH', () => {
    const withRpath = app(`${T}/order/rpath`, [`-L${T}/vb`, '-lv', '-Wl,--disable-new-dtags', `-Wl,-rpath,${T}/vb`]);
    const withRunpath = app(`${T}/order/runpath`, [`-L${T}/vb`, '-lv', '-Wl,--enable-new-dtags', `-Wl,-rpath,${T}/vb`]);
    const env = { root: '/', ldLibraryPath: `${T}/va` };
    const lddEnv = { ...process.env, LD_LIBRARY_PATH: `${T}/va` };
    expect(found(resolveClosure(withRpath, env))['libv.so']).toBe(`${T}/vb/libv.so`);
    expect(found(resolveClosure(withRunpath, env))['libv.so']).toBe(`${T}/va/libv.so`);
    expect(setOf(resolveClosure(withRpath, env))).toEqual(lddSet(withRpath, lddEnv));
    expect(setOf(resolveClosure(withRunpath, env))).toEqual(lddSet(withRunpath, lddEnv));
  });

  it('skips a library built for another CPU and takes the next one, as ld.so does', () => {
    lib(`${T}/arm/libv.so`, 'int v(void){return 3;}');
    asElf(`${T}/arm/libv.so`, 183);
    const prog = app(`${T}/skip/app`, [`-L${T}/vb`, '-lv', '-Wl,--enable-new-dtags', `-Wl,-rpath,${T}/arm:${T}/vb`]);
    expect(found(resolveClosure(prog, { root: '/' }))['libv.so']).toBe(`${T}/vb/libv.so`);
    expect(setOf(resolveClosure(prog, { root: '/' }))).toEqual(lddSet(prog));
  });

  it('names the missing library and the object that needs it', () => {
    lib(`${T}/gone/libgone.so`, 'int g(void){return 0;}');
    const prog = app(`${T}/missing/app`, [`-L${T}/gone`, '-lgone']);
    rmSync(`${T}/gone`, { recursive: true });
    expect([...lddSet(prog)]).toContain('libgone.so => not found');
    expect(() => resolveClosure(prog, { root: '/' })).toThrow(`library libgone.so needed by ${T}/missing/app was not found`);
  });

  it('gives a static program no interpreter and no libraries', () => {
    const prog = app(`${T}/static/app`, ['-static']);
    const c = resolveClosure(prog, { root: '/' });
    expect(c.interpreter).toBeUndefined();
    expect(c.libraries).toEqual([]);
  });

  it('resolves an aarch64 program inside a foreign root: its default folders, its interpreter, never the host\'s libraries', () => {
    const R = `${T}/rootfs-arm64`;
    const prog = app(`${R}/usr/bin/app`, ['-Wl,--dynamic-linker=/lib/ld-linux-aarch64.so.1']);
    asElf(prog, 183);
    mkdirSync(`${R}/lib/aarch64-linux-gnu`, { recursive: true });
    mkdirSync(`${R}/usr/lib/aarch64-linux-gnu`, { recursive: true });
    const hostLibc = resolveClosure(process.execPath, { root: '/' }).libraries.find((l) => l.name === 'libc.so.6')!.realPath;
    const hostLd = resolveClosure(process.execPath, { root: '/' }).interpreter!.realPath;
    // An x86_64 libc first in the search order must be passed over for the aarch64 one.
    copyFileSync(hostLibc, `${R}/lib/aarch64-linux-gnu/libc.so.6`);
    copyFileSync(hostLibc, `${R}/usr/lib/aarch64-linux-gnu/libc.so.6`);
    asElf(`${R}/usr/lib/aarch64-linux-gnu/libc.so.6`, 183);
    copyFileSync(hostLd, `${R}/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1`);
    asElf(`${R}/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1`, 183);
    symlinkSync('aarch64-linux-gnu/ld-linux-aarch64.so.1', `${R}/lib/ld-linux-aarch64.so.1`);

    const c = resolveClosure('/usr/bin/app', { root: R });
    expect(c.program.elf.arch).toBe('aarch64');
    expect(c.interpreter?.path).toBe('/lib/ld-linux-aarch64.so.1');
    expect(c.interpreter?.realPath).toBe('/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1');
    expect(found(c)).toEqual({ 'libc.so.6': '/usr/lib/aarch64-linux-gnu/libc.so.6' });
  });
});

describe('ld.so.conf', () => {
  it('lists folders in order, expands relative include globs sorted, skips comments and survives include loops', () => {
    const R = mkdtempSync(path.join(tmpdir(), 'uni-ldconf-'));
    try {
      mkdirSync(`${R}/etc/ld.so.conf.d`, { recursive: true });
      writeFileSync(`${R}/etc/ld.so.conf`, '# comment\n/opt/first/\ninclude ld.so.conf.d/*.conf\n/opt/last # trailing\nrelative/ignored\n');
      writeFileSync(`${R}/etc/ld.so.conf.d/b.conf`, '/opt/b\ninclude /etc/ld.so.conf\n');
      writeFileSync(`${R}/etc/ld.so.conf.d/a.conf`, '/opt/a\n/opt/first\n');
      writeFileSync(`${R}/etc/ld.so.conf.d/skip.txt`, '/opt/never\n');
      expect(ldSoConfDirs(R)).toEqual(['/opt/first', '/opt/a', '/opt/b', '/opt/last']);
      expect(ldSoConfDirs(`${R}/nowhere`)).toEqual([]);
    } finally {
      rmSync(R, { recursive: true, force: true });
    }
  });

  it('reads the folders from a root\'s ld.so.conf when searching', () => {
    const R = `${T}/conf-root`;
    lib(`${R}/opt/mylibs/libv.so`, 'int v(void){return 4;}');
    app(`${R}/usr/bin/app`, [`-L${R}/opt/mylibs`, '-lv']);
    const host = resolveClosure(process.execPath, { root: '/' });
    for (const o of [host.interpreter!, host.libraries.find((l) => l.name === 'libc.so.6')!]) {
      mkdirSync(path.dirname(`${R}${o.path}`), { recursive: true });
      copyFileSync(o.realPath, `${R}${o.path}`);
    }
    mkdirSync(`${R}/etc`, { recursive: true });
    writeFileSync(`${R}/etc/ld.so.conf`, '/opt/mylibs\n');
    expect(found(resolveClosure('/usr/bin/app', { root: R }))).toMatchObject({ 'libv.so': '/opt/mylibs/libv.so' });
    rmSync(`${R}/etc/ld.so.conf`);
    expect(() => resolveClosure('/usr/bin/app', { root: R })).toThrow('library libv.so needed by /usr/bin/app was not found');
  });
});
