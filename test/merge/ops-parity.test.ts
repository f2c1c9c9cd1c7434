/**
 * The rules by which ops fills every image (lepton/image.go, fs/manifest.go), on real folders
 * laid out like extracted packages. The boot test (npm run test:boot) shows the same on nanos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildImageManifest } from '../../client/merge/build.js';
import { parseProjectConfig } from '../../client/merge/config.js';
import { writeNanosManifest } from '../../client/merge/nanos.js';
import { at, build, hostOf, layFiles, makePackage, OPS_ENV, tempDir } from './helpers.js';
import { parseManifest } from './tuple-parser.js';

function node(cache: string, manifest: object = {}) {
  return makePackage(cache, { name: 'node', manifest: { Program: '/usr/bin/node', Args: ['node'], ...manifest }, files: { 'sysroot/usr/bin/node': { exec: 'ELF node' } } });
}

describe('files ops writes into every image', () => {
  it('writes /etc/resolv.conf from NameServers, else the package\'s, else 8.8.8.8', async () => {
    const cache = tempDir();
    const plain = await build({ Dependencies: { node: '1' } }, [node(cache)]);
    expect(readFileSync(hostOf(plain, '/etc/resolv.conf'), 'utf8')).toBe('nameserver 8.8.8.8\n');
    const mine = await build({ Dependencies: { node: '1' }, NameServers: ['10.0.2.2', '1.1.1.1'] }, [node(cache)]);
    expect(readFileSync(hostOf(mine, '/etc/resolv.conf'), 'utf8')).toBe('nameserver 10.0.2.2\nnameserver 1.1.1.1\n');
    const fromPackage = await build({ Dependencies: { node: '1' } }, [node(tempDir(), { NameServers: ['9.9.9.9'] })]);
    expect(readFileSync(hostOf(fromPackage, '/etc/resolv.conf'), 'utf8')).toBe('nameserver 9.9.9.9\n');
  });

  it('replaces a package\'s resolv.conf, as ops does, but gives the user\'s own the last word', async () => {
    const cache = tempDir();
    const pkg = makePackage(cache, { name: 'app', manifest: { Program: '/bin/app' }, files: { 'sysroot/bin/app': { exec: 'a' }, 'sysroot/etc/resolv.conf': 'nameserver 127.0.0.1\n' } });
    const m = await build({ Dependencies: { app: '1' } }, [pkg]);
    expect(readFileSync(hostOf(m, '/etc/resolv.conf'), 'utf8')).toBe('nameserver 8.8.8.8\n');
    const user = await build({ Dependencies: { app: '1' }, Files: ['etc/resolv.conf'] }, [pkg], { 'etc/resolv.conf': 'nameserver 192.0.2.1\n' });
    expect(readFileSync(hostOf(user, '/etc/resolv.conf'), 'utf8')).toBe('nameserver 192.0.2.1\n');
  });

  it('adds /etc/passwd for root only when no package brings one, and the hostname', async () => {
    const m = await build({ Dependencies: { node: '1' } }, [node(tempDir())]);
    expect(readFileSync(hostOf(m, '/etc/passwd'), 'utf8')).toBe('root:x:0:0:root:/root:/bin/nobash\n');
    expect(readFileSync(hostOf(m, '/proc/sys/kernel/hostname'), 'utf8')).toBe('uniboot');
    const cache = tempDir();
    const withPasswd = makePackage(cache, { name: 'app', manifest: { Program: '/bin/app' }, files: { 'sysroot/bin/app': { exec: 'a' }, 'sysroot/etc/passwd': 'app:x:1000:1000::/:/bin/false\n' } });
    const kept = await build({ Dependencies: { app: '1' } }, [withPasswd]);
    expect(hostOf(kept, '/etc/passwd')).toBe(join(withPasswd.path, 'sysroot/etc/passwd'));
  });

  it('keeps each generated file once under its sha256, read-only, so that mkfs can read it later', async () => {
    const m = await build({ Dependencies: { node: '1' } }, [node(tempDir())]);
    const file = at(m, '/etc/resolv.conf');
    expect(file).toMatchObject({ kind: 'file', mode: 0o644, size: 19 });
    const host = hostOf(m, '/etc/resolv.conf');
    expect(host.endsWith((file as { sha256: string }).sha256)).toBe(true);
  });
});

describe('the environment ops gives every program', () => {
  it('sets USER, PWD and NANOS_ARCH, and NANOS_VERSION and IMAGE_NAME when the builder knows them', async () => {
    const dir = tempDir();
    const config = parseProjectConfig({ Dependencies: { node: '1' } });
    const facts = { imageName: 'hello', nanosVersion: '0.1.52' };
    const m = await buildImageManifest(config, dir, [node(tempDir())], { arch: 'aarch64', generatedDir: join(dir, 'gen'), facts });
    expect(m.environment).toEqual({ USER: 'root', PWD: '/', NANOS_ARCH: 'arm64', NANOS_VERSION: '0.1.52', IMAGE_NAME: 'hello' });
  });

  it('lets a package\'s and the config\'s Env replace them', async () => {
    const m = await build({ Dependencies: { node: '1' }, Env: { USER: 'app' } }, [node(tempDir(), { Env: { PWD: '/srv' } })]);
    expect(m.environment).toEqual({ ...OPS_ENV, USER: 'app', PWD: '/srv' });
  });
});

describe('mount points', () => {
  it('makes every mount point a folder of the image, as ops does, nanos refusing one that is not', async () => {
    const m = await build({ Dependencies: { node: '1' }, Mounts: { data: '/var/data', logs: 'srv/logs:ro' } }, [node(tempDir())]);
    expect(at(m, '/var/data')).toMatchObject({ kind: 'dir' });
    expect(at(m, '/srv/logs')).toMatchObject({ kind: 'dir' });
    const tuple = parseManifest(writeNanosManifest(m)) as Map<string, unknown>;
    expect(tuple.get('mounts')).toEqual(new Map([['data', '/var/data'], ['logs', 'srv/logs:ro']]));
  });

  it('refuses a mount point where the image has a file, naming both', async () => {
    await expect(build({ Dependencies: { node: '1' }, Files: ['data'], Mounts: { data: '/data' } }, [node(tempDir())], { data: 'a file' })).rejects.toThrow(
      '/data is provided by config.json (Files: data) and by Mounts: data as a file and as a folder',
    );
  });
});

describe('the Args[1] copy', () => {
  it('copies the file argv[1] names from the project folder to that path, and a folder with all it holds', async () => {
    const cache = tempDir();
    const m = await build({ Dependencies: { node: '1' }, Args: ['hello.js'] }, [node(cache)], { 'hello.js': 'console.log(1)' });
    expect(m.arguments).toEqual(['node', 'hello.js']);
    expect(readFileSync(hostOf(m, '/hello.js'), 'utf8')).toBe('console.log(1)');
    const dir = await build({ Dependencies: { node: '1' }, Args: ['app', '--flag'] }, [node(cache)], { 'app/index.js': 'x', 'app/lib/a.js': 'y' });
    expect(readFileSync(hostOf(dir, '/app/lib/a.js'), 'utf8')).toBe('y');
  });

  it('copies nothing with DisableArgsCopy, for an argument that names nothing, or one outside the project', async () => {
    const cache = tempDir();
    const off = await build({ Dependencies: { node: '1' }, Args: ['hello.js'], DisableArgsCopy: true }, [node(cache)], { 'hello.js': 'x' });
    expect(at(off, '/hello.js')).toBeUndefined();
    const flag = await build({ Dependencies: { node: '1' }, Args: ['--version'] }, [node(cache)]);
    expect(flag.arguments).toEqual(['node', '--version']);
    expect(at(flag, '/--version')).toBeUndefined();
    const outside = await build({ Dependencies: { node: '1' }, Args: ['../etc/passwd'] }, [node(cache)]);
    expect(hostOf(outside, '/etc/passwd')).not.toContain('..');
  });

  it('copies argv[1] after the package\'s own Args, which ops puts first', async () => {
    const py = makePackage(tempDir(), { name: 'python', manifest: { Program: '/usr/bin/python3', Args: ['python3', 'main.py'] }, files: { 'sysroot/usr/bin/python3': { exec: 'py' } } });
    const m = await build({ Dependencies: { python: '1' }, Args: ['other.py'] }, [py], { 'main.py': 'print(1)', 'other.py': 'print(2)' });
    expect(at(m, '/main.py')).toMatchObject({ kind: 'file' });
    expect(at(m, '/other.py')).toBeUndefined();
  });
});

describe('klibs ops adds for what needs them', () => {
  it('adds tls and radar for RADAR_KEY, firewall for a firewall setting, tls for cloud_init', async () => {
    const project = tempDir();
    layFiles(project, { 'klibs/tls': 't', 'klibs/radar': 'r', 'klibs/firewall': 'f', 'klibs/cloud_init': 'c' });
    const config = parseProjectConfig({ Dependencies: { node: '1' }, KlibDir: 'klibs', Klibs: ['cloud_init'], Env: { RADAR_KEY: 'k' }, ManifestPassthrough: { firewall: { rules: [] } } });
    const m = await buildImageManifest(config, project, [node(tempDir())], { arch: 'x86_64', generatedDir: join(project, 'gen') });
    expect(m.klibs).toEqual(['cloud_init', 'firewall', 'radar', 'tls']);
  });
});

describe('what else ops takes from a package.manifest', () => {
  it('takes a package\'s BaseVolumeSz when the config has none', async () => {
    const m = await build({ Dependencies: { node: '1' } }, [node(tempDir(), { BaseVolumeSz: '512m' })]);
    expect(m.baseVolumeSize).toBe('512m');
    const mine = await build({ Dependencies: { node: '1' }, BaseVolumeSz: '1g' }, [node(tempDir(), { BaseVolumeSz: '512m' })]);
    expect(mine.baseVolumeSize).toBe('1g');
  });

  it('notes a package\'s Files, Dirs and MapDirs, which ops would read from the user\'s folder, and lays none of them', async () => {
    const project = { 'secret.txt': 'the user\'s' };
    const m = await build({ Dependencies: { node: '1' } }, [node(tempDir(), { Files: ['secret.txt'] })], project);
    expect(at(m, '/secret.txt')).toBeUndefined();
    expect(m.notes).toEqual(['library/node@1.0.0 lists Files, Dirs or MapDirs, which ops would read from your project folder; uni lays only its sysroot/']);
  });
});

describe('keys written as ops writes them', () => {
  it('reads Files, Dirs and MapDirs from LocalFilesParentDirectory, relative to config.json', async () => {
    const config = { Dependencies: { node: '1' }, LocalFilesParentDirectory: 'site', Files: ['a.txt'], Dirs: ['static'], MapDirs: { 'conf/*': '/etc/app' } };
    const m = await build(config, [node(tempDir())], { 'site/a.txt': 'a', 'site/static/i.html': 'i', 'site/conf/x.conf': 'x', 'a.txt': 'not this one' });
    expect(readFileSync(hostOf(m, '/a.txt'), 'utf8')).toBe('a');
    expect(readFileSync(hostOf(m, '/static/i.html'), 'utf8')).toBe('i');
    expect(readFileSync(hostOf(m, '/etc/app/x.conf'), 'utf8')).toBe('x');
  });

  it('writes NoTrace as notrace, RebootOnExit as reboot_on_exit:t and a Debugflag as name:t', async () => {
    const m = await build({ Dependencies: { node: '1' }, NoTrace: ['futex', 'epoll_wait'], RebootOnExit: true, Debugflags: ['debugsyscalls'] }, [node(tempDir())]);
    const tuple = parseManifest(writeNanosManifest(m)) as Map<string, unknown>;
    expect(tuple.get('notrace')).toEqual(['epoll_wait', 'futex']);
    expect(tuple.get('reboot_on_exit')).toBe('t');
    expect(tuple.get('debugsyscalls')).toBe('t');
  });
});
