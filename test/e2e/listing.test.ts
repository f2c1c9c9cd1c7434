/** The registry's contents and the owner's tokens, listed as ops and npm users expect. */
import { describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { ADMIN_TOKEN, e2eSuite, publish, uni, type Registry } from './harness.js';

let reg: Registry;
const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];

const { home } = e2eSuite(async (r) => {
  reg = r;
  for (const [i, name] of NAMES.entries()) {
    await publish(r.url, `library/${name}`, `1.${i}.0`, 'x86_64', await buildPackage({ name, version: `1.${i}.0` }));
  }
});

describe('uni pkg list --remote and search without text', () => {
  it('lists the registry a page at a time, says how to go on, and --all follows every page', async () => {
    const env = { home: home(), registry: reg.url };
    const first = await uni(['pkg', 'list', '--remote', '--limit', '2'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['library/alpha', '1.0.0', 'x86_64'],
      ['library/bravo', '1.1.0', 'x86_64'],
    ]);
    const cursor = /^uni: more: uni pkg list --remote --cursor (\S+) \(or --all\)$/m.exec(first.stderr)?.[1];
    expect(cursor, first.stderr).toBeDefined();
    const rest = await uni(['pkg', 'list', '--remote', '--cursor', cursor!, '--json'], env);
    expect((JSON.parse(rest.stdout) as { name: string }[]).map((r) => r.name)).toEqual(['library/charlie', 'library/delta', 'library/echo']);
    expect(rest.stderr).toBe('');
    const all = await uni(['pkg', 'list', '--remote', '--all', '--json'], env);
    expect((JSON.parse(all.stdout) as unknown[]).length).toBe(5);
    const searchAll = await uni(['pkg', 'search', '--json'], env);
    expect((JSON.parse(searchAll.stdout) as { name: string }[]).map((r) => r.name)).toEqual(NAMES.map((n) => `library/${n}`));
  });

  it('an empty answer says so on stderr; --json prints []', async () => {
    const env = { home: home(), registry: reg.url };
    const none = await uni(['pkg', 'search', 'zzzz'], env);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'uni: no packages found for "zzzz"\n' });
    const noneArm = await uni(['pkg', 'list', '--remote', '--arch', 'arm64', '--json'], env);
    expect(noneArm).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
    const cache = await uni(['pkg', 'list'], env);
    expect(cache.stdout).toBe('');
    expect(cache.stderr).toMatch(/^uni: no packages in the cache; /);
  });

  it('refuses the registry options without --remote', async () => {
    const r = await uni(['pkg', 'list', '--arch', 'x86_64'], { home: home(), registry: reg.url });
    expect(r).toMatchObject({ code: 2, stderr: 'uni: --arch lists the registry: add --remote\n' });
  });
});

describe('uni token list', () => {
  it("lists the owner's tokens with the id revoke takes, and marks a revoked one", async () => {
    const admin = { home: home(), registry: reg.url, token: ADMIN_TOKEN };
    const created = await uni(['token', 'create', '--scope', 'publish', '--name', 'ci', '--json'], admin);
    expect(created.code, created.stderr).toBe(0);
    const owner = JSON.parse(created.stdout) as { token: string };
    const env = { home: home(), registry: reg.url, token: owner.token };
    // A publish token (not read: a publish token minting a read one is issue 13's item 8).
    const child = await uni(['token', 'create', '--scope', 'publish', '--name', 'reader', '--json'], env);
    expect(child.code, child.stderr).toBe(0);
    const made = JSON.parse(child.stdout) as { id: string };
    expect((await uni(['token', 'revoke', made.id], env)).code).toBe(0);
    const list = await uni(['token', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    const row = list.stdout.split('\n').find((l) => l.startsWith(made.id));
    expect(row).toMatch(new RegExp(`^${made.id}\\s+reader\\s+publish\\s+-\\s+-\\s+\\d{4}-`));
    expect(list.stdout).toMatch(/\sci\s+publish\s+-\s+-\s+-$/m);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+SCOPES\s+NAMESPACE\s+EXPIRES\s+REVOKED$/);
    const json = JSON.parse((await uni(['token', 'list', '--json'], env)).stdout) as { id: string; revokedAt?: string }[];
    expect(json.find((t) => t.id === made.id)?.revokedAt).toBeDefined();
    const anonymous = await uni(['token', 'list'], { home: home(), registry: reg.url });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/listing tokens/);
  });
});
