/**
 * The libraries found for real programs of this machine must be exactly those the system's
 * loader maps, as `ldd` prints them (linux-vdso aside, which is in the kernel, not a file).
 */
import { existsSync, realpathSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveClosure, type Closure } from '../../client/elf/closure.js';
import { ensureDebianPackage, lddSet, sampleDynamicExecutables } from './ldd.js';

function foundSet(c: Closure): Set<string> {
  const set = new Set(c.libraries.map((l) => `${l.name} => ${l.path}`));
  if (c.interpreter) set.add(c.interpreter.path);
  return set;
}

function closureOf(program: string): Closure {
  return resolveClosure(program, { root: '/', ldLibraryPath: process.env['LD_LIBRARY_PATH'] });
}

/** ldd is given the resolved path, as the kernel hands it to ld.so (hence $ORIGIN). */
function expectSameAsLdd(program: string): void {
  const real = realpathSync(program);
  expect(foundSet(closureOf(real))).toEqual(lddSet(real));
}

describe('library closure against ldd', () => {
  beforeAll(() => {
    ensureDebianPackage('/usr/bin/redis-server', 'redis-server');
    ensureDebianPackage('/usr/sbin/nginx', 'nginx');
  }, 600_000);

  const named = ['/bin/ls', '/usr/bin/python3', process.execPath, '/usr/bin/redis-server', '/usr/sbin/nginx'];
  for (const program of named) {
    it(`finds what ldd finds for ${program}`, () => {
      expect(existsSync(program), `${program} should be installed for this test`).toBe(true);
      expectSameAsLdd(program);
      expect(closureOf(program).libraries.some((l) => l.name === 'libc.so.6')).toBe(true);
    });
  }

  it('finds what ldd finds for a sample of every dynamically linked program in /usr/bin and /usr/sbin', () => {
    // ldd costs ~0.2 s a program; a spread-out sample of 30 keeps this test short.
    const sample = sampleDynamicExecutables(['/usr/bin', '/usr/sbin'], 30);
    expect(sample.length).toBeGreaterThan(20);
    const mismatched = sample.filter((p) => {
      const mine = [...foundSet(closureOf(p))].sort().join('\n');
      const theirs = [...lddSet(p)].sort().join('\n');
      return mine !== theirs;
    });
    expect(mismatched).toEqual([]);
  }, 120_000);
});
