import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IndexSource } from '../../client/index-source.js';
import { buildLockfile, parseLockfile, readLockfile, serializeLockfile, writeLockfile, type Lockfile } from '../../client/lockfile.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const lock: Lockfile = {
  registry: 'https://registry.example',
  packages: {
    'library/redis': { version: '7.2.4', dependencies: { 'library/glibc': '2.36.1' }, digest: DIGEST },
    'library/glibc': { version: '2.36.1', dependencies: {} },
  },
  lockfileVersion: 1,
  arch: 'x86_64',
};

describe('uni.lock', () => {
  it('is written with sorted keys, two-space indentation and a final newline, and reads back', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'uni-lockfile-')), 'uni.lock');
    writeLockfile(path, lock);
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n').slice(0, 3)).toEqual(['{', '  "arch": "x86_64",', '  "lockfileVersion": 1,']);
    expect(text.indexOf('library/glibc')).toBeLessThan(text.indexOf('library/redis'));
    expect(text.indexOf('"dependencies"')).toBeLessThan(text.indexOf('"digest"'));
    expect(readLockfile(path)).toEqual(lock);
    expect(serializeLockfile(readLockfile(path))).toBe(text);
  });

  it('names the field at fault', () => {
    expect(() => parseLockfile({ ...lock, arch: 'mips' })).toThrow('uni.lock: field /arch must be equal to one of the allowed values');
    expect(() => parseLockfile({ ...lock, lockfileVersion: 2 })).toThrow('uni.lock: field /lockfileVersion');
    const noVersion = { ...lock, packages: { 'library/glibc': { dependencies: {} } } };
    expect(() => parseLockfile(noVersion)).toThrow('lacks the required field "version"');
    const badVersion = { ...lock, packages: { ...lock.packages, 'library/glibc': { version: 'one.two', dependencies: {} } } };
    expect(() => parseLockfile(badVersion)).toThrow('/packages/library/glibc/version "one.two" is not a semantic version');
  });

  it('refuses a dependency that points at a version the lock does not hold', () => {
    const stale = { ...lock, packages: { ...lock.packages, 'library/glibc': { version: '2.37.0', dependencies: {} } } };
    expect(() => parseLockfile(stale)).toThrow('library/redis depends on library/glibc 2.36.1, but the lockfile has library/glibc 2.37.0');
  });

  it('says when the file is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uni-lockfile-'));
    expect(() => readLockfile(join(dir, 'uni.lock'))).toThrow('no such file');
    writeFileSync(join(dir, 'uni.lock'), '{');
    expect(() => readLockfile(join(dir, 'uni.lock'))).toThrow('is not valid JSON');
  });

  it('takes digests for its architecture and the resolved versions of dependencies from the source', async () => {
    const source = {
      versions: async (pkg: string) =>
        pkg === 'library/redis'
          ? [{ version: '7.2.4', dependencies: { 'library/glibc': '^2.36' }, yanked: false, arches: ['x86_64' as const], artifacts: { x86_64: { digest: DIGEST, size: 1 } } }]
          : [{ version: '2.36.1', dependencies: {}, yanked: false, arches: ['x86_64' as const] }],
    };
    const built = await buildLockfile({ 'library/glibc': '2.36.1', 'library/redis': '7.2.4' }, source, 'x86_64', 'https://registry.example');
    expect(built).toEqual(lock);
  });
});

describe('index snapshot', () => {
  it('reads bare names as library/, fills in every architecture, and canonicalizes dependencies', async () => {
    const index = IndexSource.parse({ packages: { redis: { 'v7.2.4': { dependencies: { glibc: '^2.36' }, yanked: true } } } }, 'index.json');
    expect(await index.versions('library/redis')).toEqual([
      { version: '7.2.4', dependencies: { 'library/glibc': '^2.36' }, yanked: true, arches: ['x86_64', 'aarch64'] },
    ]);
    await expect(index.versions('library/glibc')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('names the place of a bad entry', () => {
    expect(() => IndexSource.parse({ packages: { redis: { 'not-a-version': {} } } }, 'i.json')).toThrow('i.json: packages["redis"]["not-a-version"]: invalid version');
    expect(() => IndexSource.parse({ packages: { redis: { '1.0.0': { dependencies: { glibc: 3 } } } } }, 'i.json')).toThrow(
      'i.json: packages["redis"]["1.0.0"].dependencies["glibc"] must be a version range string',
    );
    expect(() => IndexSource.parse({ packages: { redis: { '1.0.0': { deps: {} } } } }, 'i.json')).toThrow('has an unknown field "deps"');
    expect(() => IndexSource.parse({ packages: { redis: {}, 'library/redis': {} } }, 'i.json')).toThrow('names library/redis a second time');
    expect(() => IndexSource.parse([], 'i.json')).toThrow('i.json: the document must be a JSON object');
  });

  it('refuses a range longer than 256 characters before parsing it, even a valid one', () => {
    const long = Array.from({ length: 40 }, (_, i) => `1.0.${i}`).join(' || ');
    expect(long.length).toBeGreaterThan(256);
    expect(() => IndexSource.parse({ packages: { redis: { '1.0.0': { dependencies: { glibc: long } } } } }, 'i.json')).toThrow(
      `i.json: packages["redis"]["1.0.0"].dependencies["glibc"]: version range "${long.slice(0, 40)}..." is ${long.length} characters long, more than the limit of 256`,
    );
    const fits = Array.from({ length: 20 }, (_, i) => `1.0.${i}`).join(' || ');
    expect(() => IndexSource.parse({ packages: { redis: { '1.0.0': { dependencies: { glibc: fits } } } } }, 'i.json')).not.toThrow();
  });
});
