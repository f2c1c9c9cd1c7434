import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK, withLock } from '../../client/cache/file-lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uni-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const quick = { ...DEFAULT_LOCK, pollMs: 5, timeoutMs: 2_000 };

describe('withLock', () => {
  it('lets one holder in at a time and removes the lock file after', async () => {
    const path = join(dir, 'a.lock');
    const order: string[] = [];
    const hold = (tag: string) =>
      withLock(path, async () => {
        order.push(`${tag}+`);
        await new Promise((r) => setTimeout(r, 30));
        order.push(`${tag}-`);
      }, quick);
    await Promise.all([hold('a'), hold('b'), hold('c')]);
    for (let i = 0; i < order.length; i += 2) expect(order[i]!.slice(0, 1)).toBe(order[i + 1]!.slice(0, 1));
    expect(existsSync(path)).toBe(false);
  });

  it('breaks a lock whose holder died on this host', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const path = join(dir, 'b.lock');
    writeFileSync(path, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), time: Date.now() }));
    const started = Date.now();
    expect(await withLock(path, async () => 'mine', quick)).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('breaks a lock nobody has touched for longer than staleMs, even from another host', async () => {
    const path = join(dir, 'c.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', time: 0 }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    expect(await withLock(path, async () => 'mine', { ...quick, staleMs: 10_000 })).toBe('mine');
  });

  it('waits for a live holder and gives up with a message naming it', async () => {
    const path = join(dir, 'd.lock');
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() }));
    await expect(withLock(path, async () => 'never', { ...quick, timeoutMs: 100 })).rejects.toThrow(
      `timed out waiting for the cache lock ${path} held by pid ${process.pid}`,
    );
    expect(existsSync(path)).toBe(true);
  });
});
