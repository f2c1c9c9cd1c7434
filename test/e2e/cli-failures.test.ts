/**
 * What a newcomer meets first: help that survives a reader closing early, messages instead of
 * stacks, exit 2 for what was typed wrong on both halves of the binary, one duration syntax.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, removeHome, requireBuild, tempHome, UNI, uni, uniEnv } from './harness.js';

let home: string;
const env = () => ({ home, registry: 'http://127.0.0.1:9' });
beforeAll(() => {
  requireBuild();
  home = tempHome();
});
afterAll(() => removeHome(home));

/** Runs uni with its stdout closed by the reader before anything is written to it. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [UNI, ...args], { env: uniEnv(env()), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a reader that stops early', () => {
  it.each([[['--help']], [['serve', '--help']], [['cache', 'path']]])('uni %j ends quietly', async (args) => {
    const r = await withClosedStdout(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('uni --help | head -3 in a shell prints three lines and no error', () => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${UNI}" --help | head -3`], { encoding: 'utf8', env: uniEnv(env()) });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toHaveLength(4);
    expect(r.status).toBe(0);
  });
});

describe('usage errors exit 2 on both halves', () => {
  it.each([
    [['serve', '--follow'], 'uni: --follow needs --upstream <url>\n'],
    [['serve', '--upstream', 'ftp://x'], 'uni: --upstream must be an http(s) URL without query or fragment, not "ftp://x"\n'],
    [['serve', '--blobs', 'ftp://x/y'], 'uni: --blobs ftp://x/y: unknown scheme; use a folder path, file:// or s3://\n'],
    [['serve', '--interval', '30000'], /--interval must be a duration such as 500ms, 30s.* not "30000"/],
    [['serve', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['mirror', 'sync', '--from', 'http://127.0.0.1:9'], 'uni: say where to copy to: either --to DATA_DIR or --registry URL\n'],
    [['mirror', 'sync', '--from', 'nope', '--to', 'x'], 'uni: --from must be a URL such as https://registry.example.com, not "nope"\n'],
    [['cache', 'clean', '--older-than', '5x'], /--older-than must be a duration such as 500ms/],
    [['pkg', 'get', 'a@not-a-range'], /invalid version range/],
  ])('uni %j', async (args, message) => {
    const r = await uni(args, env());
    if (typeof message === 'string') expect(r.stderr).toBe(message);
    else expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(2);
  });

  it('uni serve --data naming a file says so, without a stack, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uni-data-file-'));
    try {
      const file = join(dir, 'a-file');
      writeFileSync(file, 'x');
      const r = await uni(['serve', '--port', '0', '--data', file], env());
      expect(r.stderr).toBe(`uni: --data ${file} is a file; name a folder (it is created when missing)\n`);
      expect(r.code).toBe(2);
      expect(readFileSync(file, 'utf8')).toBe('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('help and version', () => {
  it.each([[['help', 'serve'], '--port <port>'], [['help', 'mirror', 'sync'], '--from <url>'], [['help', 'pkg', 'get'], '--arch']])(
    'uni %j prints the help and exits 0',
    async (args, flag) => {
      const r = await uni(args, env());
      expect(r.stdout).toContain(flag);
      expect(r.code).toBe(0);
    },
  );

  it('uni help of a command that does not exist is a usage error', async () => {
    const r = await uni(['help', 'nosuch'], env());
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('uni --version prints the version of package.json', async () => {
    const r = await uni(['--version'], env());
    expect(r.stdout).toBe(`${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    expect(r.code).toBe(0);
  });

  it('serve --help shows its defaults in the syntax it takes', async () => {
    const r = await uni(['serve', '--help'], env());
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('--interval <duration> how often --follow polls the feed (default: 30s)');
    expect(r.stdout).toContain('(default: 5m)');
  });
});
