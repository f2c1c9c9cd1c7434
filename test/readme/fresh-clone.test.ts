/**
 * The README followed literally on a fresh clone of the committed HEAD: its two commands, then
 * every command of "Using it" (both blocks), then the test command. Run by `npm run test:readme`
 * (and .ci/run), not by `npm test`: it takes minutes, and `npm test` inside it would run it again.
 *
 * Departures from the letter, each for a reason:
 * - node_modules is hard-linked from this checkout before `npm install` runs (offline), so the
 *   install checks the tree against package-lock.json and runs `prepare` (the build) without
 *   the network or a few minutes of native builds; npm replaces files by renaming, so the
 *   links never write into this checkout's node_modules.
 * - `npm start -- --port P` on a free port, and that port in place of 7878 in the commands:
 *   7878 may be held by a registry someone else runs on this machine.
 * - The image block needs a nanos build and qemu: with NANOS_DIR set for this test, it runs with
 *   that folder in place of the README's `~/nanos/output` and must boot node-hello; without, it
 *   must fail with the message that says how to get nanos (as on a newcomer's machine).
 * - `npm test -- test/pack/publish.test.ts test/merge/cli.test.ts test/docs`: the tests the
 *   README's own steps once broke (a uni.lock in examples/) and the docs check, not the whole
 *   suite, which would include this file and take longer than the rest of CI.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeHome, ROOT, waitFor } from '../e2e/harness.js';

const W = mkdtempSync(join(tmpdir(), 'uni-readme-'));
const CLONE = join(W, 'clone');
const HOME = join(W, 'home');
// A home of its own: nothing reaches the ~/.uni of the person running the test.
const ENV: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME, npm_config_offline: 'true', npm_config_cache: join(process.env['HOME'] ?? HOME, '.npm'), npm_config_update_notifier: 'false' };

let server: ReturnType<typeof spawn> | undefined;
afterAll(() => {
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
  removeHome(W);
});

/** The ```sh blocks of the README, in order, each as its lines. */
function shBlocks(readme: string): string[][] {
  return [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trim().split('\n'));
}

function sh(script: string, input?: string): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: CLONE, env: ENV, encoding: 'utf8', input: input ?? '', timeout: 300_000 });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('the README on a fresh clone', () => {
  it('installs, starts with the seed, runs every command of "Using it", and passes its tests', async () => {
    expect(spawnSync('git', ['clone', '--quiet', ROOT, CLONE]).status).toBe(0);
    expect(spawnSync('mkdir', ['-p', HOME]).status).toBe(0);
    expect(spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(CLONE, 'node_modules')]).status).toBe(0);
    const readme = readFileSync(join(CLONE, 'README.md'), 'utf8');
    const blocks = shBlocks(readme);
    const [first, using] = blocks;
    const block = (word: string): string[] => {
      const found = blocks.find((b) => b.some((l) => l.includes(word)));
      expect(found, `the README has a block with ${word}`).toBeDefined();
      return found!;
    };
    const image = block('image build');
    const publishing = block('pkg publish');
    expect(first).toEqual(['npm install && npm start', 'npm test']);

    const port = await freePort();
    let out = '';
    server = spawn('bash', ['-c', `${first![0]} -- --port ${port}`], { cwd: CLONE, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('npm start to seed', () => /^seeded node\b/m.test(out) || server!.exitCode !== null, 400_000);
    expect(out).toContain(`uni registry listening on http://127.0.0.1:${port}`);
    const token = /admin token, shown this once \(keep it\): (\S+)/.exec(out)?.[1];
    expect(token, out).toBeDefined();

    const local = (lines: string[]) => lines.join('\n').replaceAll('127.0.0.1:7878', `127.0.0.1:${port}`);
    expect(using!.some((l) => l.includes('pkg get node'))).toBe(true);
    const used = sh(local(using!));
    expect(used.status, used.stderr).toBe(0);
    expect(used.stdout).toMatch(/^library\/node\s+\S+\s+(x86_64|aarch64)\s+\//m);
    if (/^seeded .*\bpython\b/m.test(out)) expect(used.stdout).toContain('"name": "library/python"');
    expect(used.stdout).toContain('program:');

    const nanos = process.env['NANOS_DIR'];
    const imaged = sh(`export UNI_REGISTRY=http://127.0.0.1:${port}\n${local(image).replaceAll('~/nanos/output', nanos ?? '~/nanos/output')}`);
    if (nanos !== undefined) {
      expect(imaged.status, imaged.stderr).toBe(0);
      expect(imaged.stdout).toContain('hello from a unikernel');
    } else {
      expect(imaged.status).not.toBe(0);
      expect(imaged.stderr).toContain('To get it: build nanos from source');
    }

    // The publishing block reads the token from stdin, as `login` does from a pipe.
    const published = sh(`export UNI_REGISTRY=http://127.0.0.1:${port}\n${local(publishing)}`, `${token}\n`);
    expect(published.status, published.stderr).toBe(0);
    expect(published.stdout).toContain('published library/ls@9.1.0');

    const tested = sh(`${first![1]} -- test/pack/publish.test.ts test/merge/cli.test.ts test/docs`);
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
  }, 900_000);
});
