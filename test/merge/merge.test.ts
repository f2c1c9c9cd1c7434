import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../../client/types.js';
import { at, build, hostOf, makePackage, OPS_ENV, tempDir } from './helpers.js';

function runtimeAndLib(cache: string): { runtime: InstalledPackage; lib: InstalledPackage } {
  const lib = makePackage(cache, {
    name: 'libc',
    manifest: { Env: { LANG: 'C', SHARED: 'from-lib' } },
    files: { 'sysroot/lib/libc.so.6': 'libc bytes', 'sysroot/etc/shared.conf': 'same' },
  });
  const runtime = makePackage(cache, {
    name: 'runtime',
    manifest: { Program: '/usr/bin/run', Args: ['run', '--fast'], Env: { SHARED: 'from-runtime', RT: '1' } },
    files: { 'sysroot/usr/bin/run': { exec: 'ELF runtime' }, 'sysroot/etc/shared.conf': 'same', 'README.md': 'docs' },
    dependencies: { 'library/libc': '^1' },
  });
  return { runtime, lib };
}

describe('laying packages', () => {
  it('lays each sysroot at / and, as ops, nothing else of the top folder (README.md, package.manifest)', async () => {
    const { runtime, lib } = runtimeAndLib(tempDir());
    const m = await build({ Dependencies: { runtime: '^1' } }, [runtime, lib]);
    expect(hostOf(m, '/usr/bin/run')).toBe(join(runtime.path, 'sysroot/usr/bin/run'));
    expect(hostOf(m, '/lib/libc.so.6')).toBe(join(lib.path, 'sysroot/lib/libc.so.6'));
    expect(at(m, '/runtime_1.0.0')).toBeUndefined();
    expect(at(m, '/README.md')).toBeUndefined();
    expect(at(m, '/package.manifest')).toBeUndefined();
    const run = at(m, '/usr/bin/run');
    expect(run).toMatchObject({ mode: 0o755, sha256: createHash('sha256').update('ELF runtime').digest('hex') });
  });

  it('accepts the same path with the same bytes from two packages', async () => {
    const { runtime, lib } = runtimeAndLib(tempDir());
    const m = await build({ Dependencies: { runtime: '^1' } }, [runtime, lib]);
    expect(at(m, '/etc/shared.conf')?.kind).toBe('file');
  });

  it('refuses the same path with different bytes, naming the path and both packages', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a' }, files: { 'sysroot/bin/a': 'a', 'sysroot/etc/x.conf': 'one' } });
    const b = makePackage(cache, { name: 'b', files: { 'sysroot/etc/x.conf': 'two' } });
    await expect(build({ Dependencies: { a: '1', b: '1' } }, [a, b])).rejects.toThrow(
      /\/etc\/x\.conf is provided by library\/a@1\.0\.0 and by library\/b@1\.0\.0 with different contents/,
    );
  });

  it('refuses the same bytes with different modes, saying that only the modes differ', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a' }, files: { 'sysroot/bin/a': 'a', 'sysroot/bin/tool': { exec: 'same' } } });
    const b = makePackage(cache, { name: 'b', files: { 'sysroot/bin/tool': 'same' } });
    await expect(build({ Dependencies: { a: '1', b: '1' } }, [a, b])).rejects.toThrow(
      '/bin/tool is provided by library/a@1.0.0 and by library/b@1.0.0 with the same bytes but different modes (0755 and 0644)',
    );
  });

  it('refuses a folder in one package where another has a link', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/usr/lib/a' }, files: { 'sysroot/usr/lib/a': 'a', 'sysroot/lib': { link: 'usr/lib' } } });
    const b = makePackage(cache, { name: 'b', files: { 'sysroot/lib/b.so': 'b' } });
    await expect(build({ Dependencies: { a: '1', b: '1' } }, [a, b])).rejects.toThrow(
      /\/lib is provided by library\/a@1\.0\.0 and by library\/b@1\.0\.0 as a symbolic link and as a folder/,
    );
  });

  it('keeps links as links and follows them to find the program', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/py' }, files: { 'sysroot/usr/bin/py3.11': 'py', 'sysroot/bin': { link: 'usr/bin' }, 'sysroot/usr/bin/py': { link: 'py3.11' } } });
    const m = await build({ Dependencies: { a: '1' } }, [a]);
    expect(m.root.children.get('bin')).toMatchObject({ kind: 'symlink', target: 'usr/bin' });
    expect(m.program).toBe('/bin/py');
    expect(m.arguments).toEqual(['py']);
  });

  it('takes modes and hashes from the cache\'s file index beside the top folder, but not for a file whose size differs', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a' }, files: { 'sysroot/bin/a': { exec: 'prog' }, 'sysroot/etc/a.conf': 'conf' } });
    chmodSync(join(a.path, 'sysroot/bin/a'), 0o555);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    writeFileSync(
      join(cache, '.index.json'),
      JSON.stringify([
        { path: 'sysroot/bin/a', type: 'file', mode: 0o755, size: 4, sha256: sha('prog') },
        { path: 'sysroot/etc/a.conf', type: 'file', mode: 0o600, size: 99, sha256: sha('stale') },
      ]),
    );
    const m = await build({ Dependencies: { a: '1' } }, [a]);
    expect(at(m, '/bin/a')).toMatchObject({ mode: 0o755, sha256: sha('prog') });
    expect(at(m, '/etc/a.conf')).toMatchObject({ mode: 0o644, sha256: sha('conf') });
  });

  it('refuses a file name that is not valid UTF-8, naming the folder', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a' }, files: { 'sysroot/bin/a': 'a' } });
    mkdirSync(join(a.path, 'sysroot/data'));
    writeFileSync(Buffer.concat([Buffer.from(join(a.path, 'sysroot/data/')), Buffer.from([0x66, 0xff, 0x6f])]), 'x');
    await expect(build({ Dependencies: { a: '1' } }, [a])).rejects.toThrow(/the name "f\\xffo" in .*sysroot\/data is not valid UTF-8/);
  });

  it('refuses a link whose target is not valid UTF-8, naming the link', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a' }, files: { 'sysroot/bin/a': 'a' } });
    symlinkSync(Buffer.from([0x78, 0xfe]), join(a.path, 'sysroot/bin/odd'));
    await expect(build({ Dependencies: { a: '1' } }, [a])).rejects.toThrow(/the name "x\\xfe" in the link .*sysroot\/bin\/odd is not valid UTF-8/);
  });
});

describe('program and arguments', () => {
  it('takes the one direct dependency that declares a program, with its Args before the config\'s', async () => {
    const { runtime, lib } = runtimeAndLib(tempDir());
    const m = await build({ Dependencies: { runtime: '^1' }, Args: ['app.js', 'x y'] }, [runtime, lib]);
    expect(m.program).toBe('/usr/bin/run');
    expect(m.arguments).toEqual(['run', '--fast', 'app.js', 'x y']);
  });

  it('prefers the config\'s Program, and then the Args of the package that provides it', async () => {
    const cache = tempDir();
    const { runtime, lib } = runtimeAndLib(cache);
    const other = makePackage(cache, { name: 'other', manifest: { Program: '/bin/other' }, files: { 'sysroot/bin/other': 'o' } });
    const m = await build({ Program: '/usr/bin/run', Args: ['x'], Dependencies: { runtime: '1', other: '1' } }, [runtime, lib, other]);
    expect(m.program).toBe('/usr/bin/run');
    expect(m.arguments).toEqual(['run', '--fast', 'x']);
  });

  it('starts argv with the program\'s name when no package gives Args', async () => {
    const m = await build({ Program: 'bin/hello', Args: ['--loud'], Files: ['bin/hello'] }, [], { 'bin/hello': 'hi' });
    expect(m.program).toBe('/bin/hello');
    expect(m.arguments).toEqual(['hello', '--loud']);
  });

  it('lays a relative program, a file of a package\'s top folder, at /<its name> and runs it there, as ops does', async () => {
    const cache = tempDir();
    const lua = makePackage(cache, { name: 'lua', version: '5.2.4', manifest: { Program: 'lua_5.2.4/lua' }, files: { lua: 'lua elf', 'notes.txt': 'not laid' } });
    const m = await build({ Dependencies: { lua: '5' } }, [lua]);
    expect(m.program).toBe('/lua');
    expect(m.arguments).toEqual(['lua']);
    expect(hostOf(m, '/lua')).toBe(join(lua.path, 'lua'));
    expect(at(m, '/lua_5.2.4')).toBeUndefined();
    expect(at(m, '/notes.txt')).toBeUndefined();
  });

  it('refuses two candidate programs, naming both', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a' }, files: { 'sysroot/bin/a': 'a' } });
    const b = makePackage(cache, { name: 'b', manifest: { Program: '/bin/b' }, files: { 'sysroot/bin/b': 'b' } });
    await expect(build({ Dependencies: { a: '1', b: '1' } }, [a, b])).rejects.toThrow(
      'library/a@1.0.0 (/bin/a) and library/b@1.0.0 (/bin/b) each declare a program; set Program in config.json',
    );
  });

  it('ignores programs of indirect dependencies and says what to do when none is left', async () => {
    const { runtime, lib } = runtimeAndLib(tempDir());
    await expect(build({ Dependencies: { libc: '1' } }, [runtime, lib])).rejects.toThrow(/no program to run: set Program.*library\/libc/);
  });

  it('refuses a program that is not in the image', async () => {
    await expect(build({ Program: '/bin/missing' }, [])).rejects.toThrow('the program /bin/missing (Program of config.json) is not in the image');
  });
});

describe('settings', () => {
  it('merges Env: config over packages, a dependent over its dependency', async () => {
    const { runtime, lib } = runtimeAndLib(tempDir());
    const m = await build({ Dependencies: { runtime: '1' }, Env: { LANG: 'en_US.UTF-8', MINE: 'x' } }, [runtime, lib]);
    expect(m.environment).toEqual({ ...OPS_ENV, LANG: 'en_US.UTF-8', MINE: 'x', RT: '1', SHARED: 'from-runtime' });
  });

  it('refuses an Env key two unrelated packages disagree on, unless the config sets it', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a', Env: { K: 'a' } }, files: { 'sysroot/bin/a': 'a' } });
    const b = makePackage(cache, { name: 'b', manifest: { Env: { K: 'b' } } });
    await expect(build({ Dependencies: { a: '1', b: '1' } }, [a, b])).rejects.toThrow(
      'Env.K is "a" in library/a@1.0.0 and "b" in library/b@1.0.0, and neither package depends on the other',
    );
    const m = await build({ Dependencies: { a: '1', b: '1' }, Env: { K: 'mine' } }, [a, b]);
    expect(m.environment).toEqual({ ...OPS_ENV, K: 'mine' });
  });

  it('unions Klibs and lays them from KlibDir; without KlibDir it says what to set', async () => {
    const cache = tempDir();
    const a = makePackage(cache, { name: 'a', manifest: { Program: '/bin/a', Klibs: ['tls', 'ntp'] }, files: { 'sysroot/bin/a': 'a' } });
    const m = await build({ Dependencies: { a: '1' }, Klibs: ['ntp', 'radar'], KlibDir: 'klibs' }, [a], {
      'klibs/ntp': 'ntp klib',
      'klibs/tls': 'tls klib',
      'klibs/radar': 'radar klib',
    });
    expect(m.klibs).toEqual(['ntp', 'radar', 'tls']);
    expect(m.boot.get('tls')?.host).toMatch(/klibs\/tls$/);
    await expect(build({ Dependencies: { a: '1' } }, [a])).rejects.toThrow('the image needs the klib "ntp": set KlibDir in config.json');
  });

  it('merges ManifestPassthrough deeply, the config winning', async () => {
    const cache = tempDir();
    const a = makePackage(cache, {
      name: 'a',
      manifest: { Program: '/bin/a', ManifestPassthrough: { net: { mtu: '1500', dhcp: 't' }, consoles: ['+serial'], cwd: '/srv' } },
      files: { 'sysroot/bin/a': 'a' },
    });
    const m = await build({ Dependencies: { a: '1' }, ManifestPassthrough: { net: { mtu: '9000' }, exec_protection: 't' }, Debugflags: ['trace:pf,all', 'debugsyscalls'], RebootOnExit: true }, [a]);
    expect(m.settings).toEqual({
      net: { mtu: '9000', dhcp: 't' },
      consoles: ['+serial'],
      exec_protection: 't',
      trace: 'pf,all',
      debugsyscalls: 't',
      reboot_on_exit: 't',
    });
    expect(m.cwd).toBe('/srv');
  });

  it('refuses a passthrough key that would replace the manifest\'s own', async () => {
    await expect(build({ Program: '/a', Files: ['a'], ManifestPassthrough: { program: '/b' } }, [], { a: 'a' })).rejects.toThrow(
      'ManifestPassthrough or Debugflags sets "program", which uni writes itself',
    );
    await expect(build({ Program: '/a', Files: ['a'], Debugflags: ['environment:x'] }, [], { a: 'a' })).rejects.toThrow(
      'ManifestPassthrough or Debugflags sets "environment", which uni writes itself',
    );
  });
});

describe('the user\'s files', () => {
  it('adds Files, Dirs and globbed MapDirs from the project folder, relative to config.json', async () => {
    const m = await build(
      { Program: '/app/main', Files: ['app/main'], Dirs: ['static'], MapDirs: { 'certs/*.pem': '/etc/ssl/certs', 'assets/**/*.png': '/srv/img' } },
      [],
      {
        'app/main': 'main',
        'static/index.html': 'index',
        'static/css/site.css': 'css',
        'certs/a.pem': 'a',
        'certs/sub/b.pem': 'b',
        'certs/readme.txt': 'not a cert',
        'assets/x/logo.png': 'png',
        'assets/x/logo.svg': 'svg',
      },
    );
    expect(hostOf(m, '/app/main')).toMatch(/app\/main$/);
    expect(hostOf(m, '/static/css/site.css')).toMatch(/static\/css\/site\.css$/);
    expect(hostOf(m, '/etc/ssl/certs/a.pem')).toMatch(/certs\/a\.pem$/);
    expect(hostOf(m, '/etc/ssl/certs/sub/b.pem')).toMatch(/certs\/sub\/b\.pem$/);
    expect(at(m, '/etc/ssl/certs/readme.txt')).toBeUndefined();
    expect(hostOf(m, '/srv/img/x/logo.png')).toMatch(/logo\.png$/);
    expect(at(m, '/srv/img/x/logo.svg')).toBeUndefined();
  });

  it('gives the user the last word over a package\'s file at the same path', async () => {
    const { runtime, lib } = runtimeAndLib(tempDir());
    const m = await build({ Dependencies: { runtime: '1' }, MapDirs: { 'conf/*': '/etc' } }, [runtime, lib], { 'conf/shared.conf': 'mine' });
    expect(hostOf(m, '/etc/shared.conf')).toMatch(/conf\/shared\.conf$/);
    expect(at(m, '/etc/shared.conf')?.origin.label).toBe('config.json (MapDirs: conf/*)');
  });

  it('names what is wrong with a missing file, a file outside the project and a glob that matches nothing', async () => {
    await expect(build({ Program: '/a', Files: ['nope.js'] }, [])).rejects.toThrow(/Files: nope\.js: .*nope\.js does not exist/);
    await expect(build({ Program: '/a', Files: ['../x'] }, [])).rejects.toThrow('Files: ../x: "../x" is outside the project folder');
    await expect(build({ Program: '/a', MapDirs: { 'd/*.pem': '/x' } }, [], { 'd/a.txt': 'a' })).rejects.toThrow(/MapDirs: d\/\*\.pem: "d\/\*\.pem" matches no file/);
    await expect(build({ Program: '/a', Files: ['d'] }, [], { 'd/a.txt': 'a' })).rejects.toThrow(/is a folder; list folders in Dirs/);
  });

  it('refuses two of the user\'s own sources that disagree on a path', async () => {
    await expect(build({ Program: '/a', Files: ['a'], MapDirs: { 'other/*': '/' } }, [], { a: 'one', 'other/a': 'two' })).rejects.toThrow(
      '/a is provided by config.json (Files: a) and by config.json (MapDirs: other/*) with different contents',
    );
  });
});
