import { describe, expect, it } from 'vitest';
import { resolve } from '../../client/resolver/index.js';
import { UniError } from '../../protocol/errors.js';
import type { PackageSource, PackageVersionInfo } from '../../client/types.js';

type Spec = Record<string, Array<Partial<PackageVersionInfo> & { version: string }>>;

function source(spec: Spec, onCall?: (pkg: string) => void): PackageSource {
  return {
    async versions(pkg) {
      onCall?.(pkg);
      const versions = spec[pkg];
      if (!versions) throw new UniError('not_found', `package ${pkg} not found`, 404);
      return versions.map((v) => ({ dependencies: {}, yanked: false, arches: ['x86_64', 'aarch64'], ...v }));
    },
  };
}

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UniError);
  expect((e as UniError).code).toBe('unsatisfiable');
  return (e as UniError).message;
}

const redis: Spec = {
  'library/redis': [
    { version: '7.2.4', dependencies: { 'library/glibc': '^2.36' }, arches: ['x86_64'] },
    { version: '7.0.0', yanked: true },
    { version: '6.0.0' },
  ],
  'library/glibc': [{ version: '2.36.1' }, { version: '2.37.0' }],
};

describe('resolve', () => {
  it('takes the newest candidate built for the architecture', async () => {
    expect(await resolve({ root: { 'library/redis': '*' }, arch: 'x86_64', source: source(redis) })).toEqual({
      'library/glibc': '2.37.0',
      'library/redis': '7.2.4',
    });
    expect(await resolve({ root: { 'library/redis': '*' }, arch: 'aarch64', source: source(redis) })).toEqual({
      'library/redis': '6.0.0',
    });
  });

  it('names the architecture and the yank when they are why nothing fits', async () => {
    const message = await failure(resolve({ root: { 'library/redis': '^7' }, arch: 'aarch64', source: source(redis) }));
    expect(message).toContain('library/redis 7.2.4 has no aarch64 build');
    expect(message).toContain('library/redis 7.0.0 is yanked');
    expect(message).toContain('root depends on library/redis ^7');
  });

  it('keeps a yanked version only when it is locked', async () => {
    const root = { 'library/redis': '^7' };
    const locked = { 'library/redis': '7.0.0' };
    expect(await resolve({ root, arch: 'aarch64', source: source(redis), locked })).toEqual({ 'library/redis': '7.0.0' });
    expect(await resolve({ root, arch: 'x86_64', source: source(redis) })).toMatchObject({ 'library/redis': '7.2.4' });
  });

  it('prefers a locked version that still satisfies, and leaves it when it does not', async () => {
    const spec: Spec = { 'library/glibc': [{ version: '2.36.1' }, { version: '2.37.0' }] };
    const locked = { 'library/glibc': '2.36.1' };
    expect(await resolve({ root: { 'library/glibc': '^2' }, arch: 'x86_64', source: source(spec), locked })).toEqual(locked);
    expect(await resolve({ root: { 'library/glibc': '>=2.37' }, arch: 'x86_64', source: source(spec), locked })).toEqual({
      'library/glibc': '2.37.0',
    });
  });

  it('lets an override replace every other constraint on its package', async () => {
    const spec: Spec = {
      'acme/app': [{ version: '1.2.0', dependencies: { 'library/glibc': '^2.36' } }],
      'library/glibc': [{ version: '2.36.1' }, { version: '3.0.0' }],
    };
    const solution = await resolve({
      root: { 'acme/app': '1.2.x' },
      overrides: { 'library/glibc': '3.0.0' },
      arch: 'x86_64',
      source: source(spec),
    });
    expect(solution).toEqual({ 'acme/app': '1.2.0', 'library/glibc': '3.0.0' });
  });

  it('explains a package that does not exist with the source message', async () => {
    const message = await failure(resolve({ root: { 'acme/app': '1.2.x' }, arch: 'x86_64', source: source({}) }));
    expect(message).toBe("Because root depends on acme/app 1.2.x which doesn't exist (package acme/app not found), version solving failed.");
  });

  it('rejects an invalid range, naming who wrote it', async () => {
    const spec: Spec = { 'acme/app': [{ version: '1.0.0', dependencies: { 'library/glibc': 'not a range' } }], 'library/glibc': [{ version: '1.0.0' }] };
    await expect(resolve({ root: { 'acme/app': '*' }, arch: 'x86_64', source: source(spec) })).rejects.toThrow(
      'acme/app 1.0.0 depends on library/glibc with an invalid version range "not a range"',
    );
  });

  it('asks the source for many packages at once', async () => {
    let inFlight = 0;
    let most = 0;
    const spec: Spec = { a: [{ version: '1.0.0', dependencies: { d: '*' } }], b: [{ version: '1.0.0' }], c: [{ version: '1.0.0' }], d: [{ version: '1.0.0' }] };
    const inner = source(spec);
    const slow: PackageSource = {
      async versions(pkg) {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return inner.versions(pkg);
      },
    };
    expect(await resolve({ root: { a: '*', b: '*', c: '*' }, arch: 'x86_64', source: slow })).toEqual({ a: '1.0.0', b: '1.0.0', c: '1.0.0', d: '1.0.0' });
    expect(most).toBeGreaterThanOrEqual(3);
  });

  it('asks the source for at most 16 packages at once, and for none once the solve has failed', async () => {
    let inFlight = 0;
    let most = 0;
    const calls: string[] = [];
    const deps = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`d${i}`, '*']));
    const spec: Spec = { a: [{ version: '1.0.0', dependencies: deps }] };
    for (let i = 1; i < 200; i += 1) spec[`d${i}`] = [{ version: '1.0.0' }];
    const inner = source(spec);
    const slow: PackageSource = {
      async versions(pkg) {
        calls.push(pkg);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        if (pkg === 'd0') throw new UniError('registry_error', 'd0 is broken');
        return inner.versions(pkg);
      },
    };
    await expect(resolve({ root: { a: '*' }, arch: 'x86_64', source: slow })).rejects.toThrow('d0 is broken');
    const asked = calls.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(most).toBe(16);
    expect(calls.length).toBe(asked);
    expect(asked).toBeLessThanOrEqual(1 + 2 * 16);
  });

  it('asks the source once per package', async () => {
    const calls: string[] = [];
    const spec: Spec = { a: [{ version: '1.0.0', dependencies: { b: '*' } }, { version: '2.0.0', dependencies: { b: '^2' } }], b: [{ version: '1.0.0' }] };
    await resolve({ root: { a: '*' }, arch: 'x86_64', source: source(spec, (p) => calls.push(p)) });
    expect(calls.sort()).toEqual(['a', 'b']);
  });

  it('refuses a range from the source longer than 256 characters, naming who wrote it', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `1.0.${i}`).join(' || ');
    const spec: Spec = { a: [{ version: '1.0.0', dependencies: { b: long } }], b: [{ version: '1.0.0' }] };
    await expect(resolve({ root: { a: '*' }, arch: 'x86_64', source: source(spec) })).rejects.toThrow(
      `a 1.0.0 depends on b with a version range "${long.slice(0, 40)}..." is ${long.length} characters long, more than the limit of 256`,
    );
  });

  it('says "depends on both" only of the same versions of a package', async () => {
    const spec: Spec = {
      'library/a': [
        { version: '1.0.0', dependencies: { 'library/b': '^1' } },
        { version: '1.1.0', dependencies: { 'library/c': '^1' } },
      ],
      'library/b': [{ version: '1.0.0' }, { version: '2.0.0' }],
      'library/c': [{ version: '1.0.0' }, { version: '2.0.0' }],
    };
    const root = { 'library/a': '^1', 'library/b': '^2', 'library/c': '^2' };
    expect(await failure(resolve({ root, arch: 'x86_64', source: source(spec) }))).toBe(
      [
        'Because library/a >=1.1.0 depends on library/c ^1 and library/a <1.1.0 depends on library/b ^1, every version of library/a requires library/c ^1 or library/b ^1.',
        'And because root depends on library/a ^1, either library/c ^1 or library/b ^1.',
        'So, because root depends on both library/b ^2 and library/c ^2, version solving failed.',
      ].join('\n'),
    );
  });
});
