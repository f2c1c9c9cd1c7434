/**
 * The libraries found for real programs of this machine must be exactly those the system's
 * loader maps, as `ldd` prints them (linux-vdso aside, which is in the kernel, not a file).
 */
import { existsSync, realpathSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveClosure, type Closure } from '../../client/elf/closure.js';
import { inParallel } from '../../server/mirror/parallel.js';
import { dynamicExecutables, ensureDebianPackage, lddSet, lddSetAsync } from './ldd.js';

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

  it('finds what ldd finds for 150 dynamically linked programs spread over /usr/bin and /usr/sbin', async () => {
    // ldd is a shell script that starts the loader: all ~800 programs here take minutes, while
    // an even spread over the sorted names takes seconds and still reaches every kind of program.
    const programs = await dynamicExecutables(['/usr/bin', '/usr/sbin'], 150);
    expect(programs.length).toBeGreaterThan(100);
    const mismatched = await inParallel(programs, 4, async (p) => {
      const mine = [...foundSet(closureOf(p))].sort().join('\n');
      const theirs = [...(await lddSetAsync(p))].sort().join('\n');
      return mine === theirs ? null : { program: p, mine, theirs };
    });
    expect(mismatched.filter((m) => m !== null)).toEqual([]);
  }, 180_000);
});
