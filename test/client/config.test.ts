import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY, loadConfig, saveToken } from '../../client/config.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'uni-config-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('config', () => {
  it('defaults to ~/.uni and the local registry', () => {
    const c = loadConfig({}, undefined, home);
    expect(c.home).toBe(join(home, '.uni'));
    expect(c.registry).toBe(DEFAULT_REGISTRY);
    expect(c.token).toBeUndefined();
  });

  it('keeps tokens per registry in a 0600 file; the environment overrides the file', () => {
    const env = { UNI_HOME: join(home, 'u') };
    saveToken(loadConfig(env).configPath, 'https://a.example', 'tok-a');
    expect(statSync(join(home, 'u', 'config.json')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ ...env, UNI_REGISTRY: 'https://a.example/' }).token).toBe('tok-a');
    expect(loadConfig({ ...env, UNI_REGISTRY: 'https://b.example' }).token).toBeUndefined();
    expect(loadConfig({ ...env, UNI_REGISTRY: 'https://a.example', UNI_TOKEN: 'env' }).token).toBe('env');
    saveToken(loadConfig(env).configPath, 'https://a.example', undefined);
    expect(JSON.parse(readFileSync(join(home, 'u', 'config.json'), 'utf8')).registries).toEqual({});
  });

  it('names the file when it is not JSON, and a bad registry URL', () => {
    mkdirSync(join(home, 'u'));
    writeFileSync(join(home, 'u', 'config.json'), '{oops');
    expect(() => loadConfig({ UNI_HOME: join(home, 'u') })).toThrow(`${join(home, 'u', 'config.json')} is not valid JSON`);
    expect(() => loadConfig({ UNI_HOME: home, UNI_REGISTRY: 'ftp://x' })).toThrow('only http and https are supported');
  });
});
