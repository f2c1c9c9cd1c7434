/**
 * A first start that fails must not use up the first start: `uni serve` on a busy port leaves
 * no data folder behind, so the next start prints the admin token and seeds; and a seed cut
 * short (the process killed) is done again by the start after it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBuild, UNI, waitFor } from '../e2e/harness.js';
import { call } from '../helpers/http.js';
import { startServerProcess } from '../helpers/node-deployment.js';

const W = mkdtempSync(join(tmpdir(), 'uni-first-start-'));
afterAll(() => rmSync(W, { recursive: true, force: true }));

function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [UNI, ...args], { env: { ...process.env, UNI_ADMIN_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const TOKEN_LINE = /admin token, shown this once \(keep it\): (uni_\S+)/;

describe('a failed first start', () => {
  it('on a busy port says so, creates nothing, and the next start prints the token and seeds', async () => {
    requireBuild();
    const data = join(W, 'data');
    const busy = await holdPort();
    const failed = await run(['serve', '--port', String(busy.port), '--data', data, '--seed-from-host']);
    await new Promise((r) => busy.server.close(r));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(`uni: cannot listen on 127.0.0.1:${busy.port}: another program uses that port; stop it or choose another with --port\n`);
    expect(failed.stdout).toBe('');
    expect(existsSync(data)).toBe(false);

    // The next start is a first start: it prints the token; it is killed while seeding.
    const second = await startServerProcess(data, '', ['--seed-from-host']);
    await waitFor('the seed to begin', () => second.stdout().includes('seeding node@'), 20_000);
    const token = TOKEN_LINE.exec(second.stdout())?.[1];
    expect(token, second.output()).toBeDefined();
    await second.stop('SIGKILL');
    expect(existsSync(join(data, 'seed-pending'))).toBe(true);

    // The one after seeds again (the token exists now, so it is not printed a second time).
    const third = await startServerProcess(data, '', ['--seed-from-host']);
    try {
      await waitFor('the seed to end', () => third.stdout().includes('in another terminal:') || third.child.exitCode !== null, 240_000);
      expect(third.stdout()).not.toMatch(TOKEN_LINE);
      expect(third.stdout()).toMatch(/^seeded node\b/m);
      expect((await call(third.url, 'GET', '/v1/packages/library/node')).status).toBe(200);
      expect((await call(third.url, 'GET', '/v1/whoami', { token: token! })).status).toBe(200);
      expect(existsSync(join(data, 'seed-pending'))).toBe(false);
    } finally {
      await third.stop();
    }
    // The seed published with a token of its own, revoked when it ended.
    const db = new Database(join(data, 'registry.sqlite'), { readonly: true });
    const seedTokens = db.prepare("SELECT revoked_at FROM tokens WHERE name = 'host seed'").all() as { revoked_at: string | null }[];
    db.close();
    expect(seedTokens.length).toBe(2);
    expect(seedTokens.at(-1)!.revoked_at).not.toBeNull();

    // A fourth start finds the seed done and seeds nothing.
    const fourth = await startServerProcess(data, '', ['--seed-from-host']);
    await fourth.stop();
    expect(fourth.output()).not.toContain('seeding');
  }, 300_000);
});
