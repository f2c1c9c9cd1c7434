/** `uni` at a real terminal (a pseudo-terminal): what the person sees, and what they do not. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInPty } from '../helpers/pty.js';
import { ADMIN_TOKEN, e2eSuite, UNI, uniEnv, type Registry } from './harness.js';

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
