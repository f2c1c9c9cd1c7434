import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The built CLI (`npm test` builds first), run as a user runs it.
const UNI = join(import.meta.dirname, '../../bin/uni.js');

async function uni(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [UNI, ...args], {
      cwd,
      // CI makes uni lock keep an existing uni.lock as it stands (as npm ci); these tests re-lock.
      env: { ...process.env, CI: '', UNI_HOME: join(cwd, '.uni'), UNI_REGISTRY: 'http://127.0.0.1:9' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const INDEX = {
  packages: {
    redis: {
      '7.2.4': { dependencies: { glibc: '^2.36' }, arches: ['x86_64'] },
      '7.0.0': { dependencies: {} },
    },
    'library/glibc': { '2.36.1': { dependencies: {} }, '2.37.0': { dependencies: {}, yanked: true } },
  },
};

function project(config: object, index: object = INDEX): string {
  const dir = mkdtempSync(join(tmpdir(), 'uni-lock-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

describe('uni lock --index', () => {
  it('resolves Dependencies, prints them as JSON and writes uni.lock beside the config', async () => {
    const dir = project({ program: '/usr/bin/redis-server', dependencies: { redis: '^7' } });
    const r = await uni(['lock', '--index', 'index.json', '--arch', 'amd64', '--json'], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, packages: { 'library/glibc': '2.36.1', 'library/redis': '7.2.4' } });
    expect(readFileSync(join(dir, 'uni.lock'), 'utf8')).toBe(
      `${JSON.stringify(
        {
          arch: 'x86_64',
          lockfileVersion: 1,
          packages: {
            'library/glibc': { dependencies: {}, version: '2.36.1' },
            'library/redis': { dependencies: { 'library/glibc': '2.36.1' }, version: '7.2.4' },
          },
          registry: 'file:index.json',
        },
        null,
        2,
      )}\n`,
    );
  });

  it('applies Overrides and honours -c for a config elsewhere', async () => {
    const dir = project({ Dependencies: { redis: '^7' }, Overrides: { redis: '7.0.0' } });
    const r = await uni(['lock', '-c', join(dir, 'config.json'), '--index', join(dir, 'index.json'), '--arch', 'x86_64', '--json'], tmpdir());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).packages).toEqual({ 'library/redis': '7.0.0' });
    expect(existsSync(join(dir, 'uni.lock'))).toBe(true);
  });

  it('keeps the versions of an existing uni.lock when they still fit', async () => {
    const dir = project({ Dependencies: { redis: '>=7.0.0' } });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Dependencies: { redis: '7.0.0' } }));
    expect((await uni(['lock', '--index', 'index.json', '--arch', 'x86_64'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Dependencies: { redis: '>=7.0.0' } }));
    const r = await uni(['lock', '--index', 'index.json', '--arch', 'x86_64', '--json'], dir);
    expect(JSON.parse(r.stdout).packages).toEqual({ 'library/redis': '7.0.0' });
  });

  it('explains a failure, exits 1 and writes no uni.lock', async () => {
    const dir = project({ Dependencies: { redis: '^7.2' } });
    const r = await uni(['lock', '--index', 'index.json', '--arch', 'aarch64', '--json'], dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      error: 'Because config.json depends on library/redis 7.2.4 which has no aarch64 build, version solving failed.',
    });
    expect(existsSync(join(dir, 'uni.lock'))).toBe(false);
    const human = await uni(['lock', '--index', 'index.json', '--arch', 'aarch64'], dir);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('has no aarch64 build');
  });

  it('names the field at fault in a bad index', async () => {
    const dir = project({ Dependencies: { redis: '*' } }, { packages: { redis: { '7.0.0': { arches: ['mips'] } } } });
    const r = await uni(['lock', '--index', 'index.json', '--arch', 'x86_64'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('packages["redis"]["7.0.0"].arches[0]: unknown architecture "mips"');
  });

  it('exits 2 on a usage error', async () => {
    const dir = project({ Dependencies: { redis: '*' } });
    expect((await uni(['lock', '--index', 'index.json', '--arch', 'mips'], dir)).code).toBe(2);
    expect((await uni(['lock', '--bogus'], dir)).code).toBe(2);
  });

  it('with --json reports every failure as a JSON document on stdout, usage errors with exit 2', async () => {
    const dir = project({ Dependencies: { redis: '*' } });
    const arch = await uni(['lock', '--index', 'index.json', '--arch', 'mips', '--json'], dir);
    expect(arch.code).toBe(2);
    expect(arch.stderr).toBe('');
    expect(JSON.parse(arch.stdout)).toEqual({ ok: false, error: 'unknown architecture "mips": use x86_64 (amd64) or aarch64 (arm64)' });
    // Commander refuses these before the command runs; --json after the unknown option counts too.
    for (const args of [['--json', '--bogus'], ['--bogus', '--json'], ['--json', '--arch']]) {
      const r = await uni(['lock', ...args], dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(JSON.parse(r.stdout).ok, args.join(' ')).toBe(false);
    }
    expect(JSON.parse((await uni(['lock', '--json', '--bogus'], dir)).stdout).error).toBe("unknown option '--bogus'");
    // Not a UniError: the rename of the new lockfile onto a folder fails in node:fs.
    mkdirSync(join(dir, 'uni.lock', 'inside'), { recursive: true });
    const unexpected = await uni(['lock', '--index', 'index.json', '--arch', 'x86_64', '--json'], dir);
    expect(unexpected.code).toBe(1);
    expect(JSON.parse(unexpected.stdout)).toEqual({ ok: false, error: expect.stringContaining('EISDIR') });
  });
});
