import { describe, expect, it } from 'vitest';
import { IndexSource } from '../../client/index-source.js';
import type { Lockfile } from '../../client/lockfile.js';
import { lockMisfit, type Requirements } from '../../client/lock-fit.js';

const source = IndexSource.parse(
  {
    packages: {
      'library/app': { '1.0.0': { dependencies: { 'library/runtime': '^2' } }, '1.1.0': { dependencies: { 'library/runtime': '^2.1' } } },
      'library/runtime': { '2.0.0': { dependencies: { 'library/libc': '^1' } }, '2.1.0': { dependencies: { 'library/libc': '^1' } } },
      'library/libc': { '1.0.0': { dependencies: {} }, '3.0.0': { dependencies: {} } },
    },
  },
  'index',
);

const D = `sha256:${'a'.repeat(64)}`;

function lock(packages: Record<string, [string, Record<string, string>]>, extra: Partial<Lockfile> = {}): Lockfile {
  return {
    lockfileVersion: 1,
    arch: 'x86_64',
    registry: 'http://reg',
    packages: Object.fromEntries(Object.entries(packages).map(([n, [version, dependencies]]) => [n, { version, digest: D, dependencies }])),
    ...extra,
  };
}

const good = lock({
  'library/app': ['1.0.0', { 'library/runtime': '2.0.0' }],
  'library/runtime': ['2.0.0', { 'library/libc': '1.0.0' }],
  'library/libc': ['1.0.0', {}],
});

const req = (root: Record<string, string>, overrides: Record<string, string> = {}): Requirements => ({ root, overrides, arch: 'x86_64' });

describe('whether uni.lock still fits config.json', () => {
  it('fits when every needed package is locked within every range and nothing else is', async () => {
    expect(await lockMisfit(good, req({ 'library/app': '^1' }), source)).toBeNull();
  });

  it('does not fit a range the config changed, naming the package', async () => {
    expect(await lockMisfit(good, req({ 'library/app': '^1.1' }), source)).toBe('has library/app 1.0.0, but config.json needs ^1.1');
  });

  it('does not fit a new dependency or a dropped one', async () => {
    expect(await lockMisfit(good, req({ 'library/app': '^1', 'library/extra': '1' }), source)).toBe('has no library/extra, which config.json needs');
    expect(await lockMisfit(good, req({ 'library/runtime': '^2' }), source)).toBe('holds library/app, which config.json no longer needs');
  });

  it('checks the ranges between packages, and lets an override replace them', async () => {
    const bent = lock({
      'library/app': ['1.0.0', { 'library/runtime': '2.0.0' }],
      'library/runtime': ['2.0.0', { 'library/libc': '3.0.0' }],
      'library/libc': ['3.0.0', {}],
    });
    expect(await lockMisfit(bent, req({ 'library/app': '^1' }), source)).toBe('has library/libc 3.0.0, but library/runtime 2.0.0 needs ^1');
    expect(await lockMisfit(bent, req({ 'library/app': '^1' }, { 'library/libc': '3' }), source)).toBeNull();
  });

  it('does not fit another architecture, but fits whatever registry it was made against', async () => {
    expect(await lockMisfit(good, { ...req({ 'library/app': '^1' }), arch: 'aarch64' }, source)).toBe('is for x86_64, not aarch64');
    expect(await lockMisfit({ ...good, registry: 'http://mirror' }, req({ 'library/app': '^1' }), source)).toBeNull();
  });
});
