import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveToken } from '../../client/config.js';
import { openSession } from '../../client/registry/session.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uni-session-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function warningsFor(env: NodeJS.ProcessEnv, registry?: string): string[] {
  const warnings: string[] = [];
  openSession({ env: { UNI_HOME: join(dir, 'home'), ...env }, ...(registry ? { registry } : {}), warn: (m) => warnings.push(m) });
  return warnings;
}

describe('UNI_HOME', () => {
  it('is created 0700 by a session, with the folders above it', () => {
    const home = join(dir, 'a', 'home');
    openSession({ env: { UNI_HOME: home }, warn: () => {} });
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o700);
  });

  it('is created 0700 by uni login', () => {
    const home = join(dir, 'home');
    saveToken(join(home, 'config.json'), 'https://registry.example', 't0k');
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
  });
});

describe('a token over plain http', () => {
  it('warns when the token goes over http to a host other than loopback', () => {
    expect(warningsFor({ UNI_TOKEN: 't0k' }, 'http://registry.example:7878')).toEqual([
      'the token is sent to http://registry.example:7878 over plain http, where anyone on the way can read it; use https',
    ]);
  });

  it('stays quiet over https, on loopback, and without a token', () => {
    expect(warningsFor({ UNI_TOKEN: 't0k' }, 'https://registry.example')).toEqual([]);
    expect(warningsFor({ UNI_TOKEN: 't0k' }, 'http://127.0.0.1:7878')).toEqual([]);
    expect(warningsFor({ UNI_TOKEN: 't0k' }, 'http://localhost:7878')).toEqual([]);
    expect(warningsFor({ UNI_TOKEN: 't0k' }, 'http://[::1]:7878')).toEqual([]);
    expect(warningsFor({}, 'http://registry.example')).toEqual([]);
  });
});
