/**
 * What a failing package document does to a run of `uni`: the run stops promptly, counted in
 * requests to a real loopback registry, prints the failure once and no stack; and a failure
 * in a prefetch the solution turns out not to need changes nothing about a success.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStaticRegistry, type StaticRegistry } from '../client/static-registry.js';
import { removeHome, requireBuild, tempHome, uni } from '../e2e/harness.js';

const archive = Buffer.from('not read: these runs fail or stop before any download');

let reg: StaticRegistry;
let home: string;
beforeAll(() => requireBuild());
beforeEach(async () => {
  reg = await startStaticRegistry();
  home = tempHome();
});
afterEach(async () => {
  await reg.close();
  removeHome(home);
});

describe('a package document that fails', () => {
  it('among 20,000 dependencies stops the run after a few dozen requests, with one message and no stack', async () => {
    const dependencies: Record<string, string> = {};
    for (let i = 0; i < 20_000; i += 1) dependencies[`library/d${i}`] = '^1';
    reg.add({ name: 'big', version: '1.0.0', archive, dependencies });
    reg.add({ name: 'd0', version: 'banana', archive });
    const run = await uni(['pkg', 'get', 'big', '--arch', 'x86_64'], { home, registry: reg.url });
    expect(run.stderr).toBe('uni: library/d0 lists an invalid version "banana"\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    // big, then at most 16 documents at a time: those running when d0 failed finish, no more start.
    expect(reg.hits.requests).toBeGreaterThanOrEqual(2);
    expect(reg.hits.requests).toBeLessThanOrEqual(1 + 2 * 16);
  });
});

describe('uni lock when a prefetch fails', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uni-prefetch-'));
    // a 2.0.0, the newest, is the one whose dependencies are prefetched, so bad is fetched.
    const index = {
      packages: {
        a: { '1.0.0': { dependencies: {} }, '2.0.0': { dependencies: { bad: '^1' } } },
        bad: { '1.0.0': { dependencies: {} }, 'v1.0.0': { dependencies: {} } },
      },
    };
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('succeeds, exit 0, when the package that failed is not needed', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Dependencies: { a: '^1' } }));
    const run = await uni(['lock', '-c', join(dir, 'config.json'), '--index', join(dir, 'index.json'), '--arch', 'x86_64', '--json'], {
      home,
      registry: reg.url,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, packages: { 'library/a': '1.0.0' } });
    expect(JSON.parse(readFileSync(join(dir, 'uni.lock'), 'utf8')).packages).toEqual({ 'library/a': { dependencies: {}, version: '1.0.0' } });
  });

  it('fails with the document\'s fault when the package that failed is needed', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Dependencies: { a: '^2' } }));
    const run = await uni(['lock', '-c', join(dir, 'config.json'), '--index', join(dir, 'index.json'), '--arch', 'x86_64'], { home, registry: reg.url });
    expect(run.stderr).toBe('uni: library/bad lists version 1.0.0 twice\n');
    expect(run.code).toBe(1);
  });
});
