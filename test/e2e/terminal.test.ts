/** `uni` at a real terminal (a pseudo-terminal): what the person sees, and what they do not. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInPty } from '../helpers/pty.js';
import { ADMIN_TOKEN, e2eSuite, UNI, uni, uniEnv, type Registry } from './harness.js';

const W = mkdtempSync(join(tmpdir(), 'uni-terminal-'));
afterAll(() => rmSync(W, { recursive: true, force: true }));

/** A package folder with 16 MB that gzip cannot shrink: packing, checking and uploading take a moment. */
function bigPackage(name: string): string {
  const dir = join(W, `${name}_1.0.0`);
  mkdirSync(join(dir, 'sysroot/data'), { recursive: true });
  writeFileSync(join(dir, 'package.manifest'), JSON.stringify({ Name: name, Version: '1.0.0' }));
  writeFileSync(join(dir, 'sysroot/data/blob'), randomBytes(16 << 20));
  return dir;
}

let reg: Registry;
const { home } = e2eSuite((r) => {
  reg = r;
});

describe('uni login at a terminal', () => {
  it('prompts for the token and does not echo it', async () => {
    const h = home();
    const run = await runInPty([process.execPath, UNI, 'login'], uniEnv({ home: h, registry: reg.url }), [['Token: ', `${ADMIN_TOKEN}\r`]]);
    expect(run.code, run.transcript).toBe(0);
    expect(run.transcript).toMatch(/^Token: \r?\n/);
    expect(run.transcript).not.toContain(ADMIN_TOKEN);
    expect(run.transcript).toContain(`logged in to ${reg.url}`);
    expect((JSON.parse(readFileSync(join(h, 'config.json'), 'utf8')) as { registries: Record<string, { token: string }> }).registries[reg.url]!.token).toBe(ADMIN_TOKEN);
  });

  it('Ctrl-C at the prompt stores nothing', async () => {
    const h = home();
    const run = await runInPty([process.execPath, UNI, 'login'], uniEnv({ home: h, registry: reg.url }), [['Token: ', 'uni_abc\u0003']]);
    expect(run.code).toBe(2);
    expect(run.transcript).toContain('uni: login cancelled');
    expect(run.transcript).not.toContain('uni_abc');
    expect(() => readFileSync(join(h, 'config.json'))).toThrow();
  });
});

describe('long work says what it is doing', () => {
  it('publish draws packing, checking and uploading bars at a terminal', async () => {
    const env = uniEnv({ home: home(), registry: reg.url, token: ADMIN_TOKEN });
    const run = await runInPty([process.execPath, UNI, 'pkg', 'publish', bigPackage('big-tty')], env);
    expect(run.code, run.transcript).toBe(0);
    for (const task of ['packing', 'checking', 'uploading library/big-tty@1.0.0']) expect(run.transcript).toMatch(new RegExp(`${task} [░█]+ [\\d.]+ [KM]?B/16\\.0 MB`));
    expect(run.transcript).toContain('published library/big-tty@1.0.0');
  });

  it('and prints nothing but the result in a pipe', async () => {
    const r = await uni(['pkg', 'publish', bigPackage('big-pipe')], { home: home(), registry: reg.url, token: ADMIN_TOKEN });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^published library\/big-pipe@1\.0\.0 /);
  });
});
