/** What an ops user types and writes, read as ops reads it: `:latest`, any key case, `1.0`, extra keys. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { ADMIN_TOKEN, e2eSuite, publish, uni, type Registry } from './harness.js';

let reg: Registry;
const W = mkdtempSync(join(tmpdir(), 'uni-ops-spell-'));
afterAll(() => rmSync(W, { recursive: true, force: true }));

const { home } = e2eSuite(async (r) => {
  reg = r;
});

/** The manifest ops would write by hand: lower-case keys, a two-part version, a key uni does not know. */
const OPS_MANIFEST = { Name: undefined, Program: undefined, Args: undefined, Version: undefined, Description: undefined, program: '/usr/bin/true', args: ['true', '-x'], version: '1.0', Kernel: 'kernel.img' };

describe('ops spellings', () => {
  it('publishes a manifest with lower-case keys, Version 1.0 and an unknown key, saying what it did', async () => {
    const archive = join(W, 'opsy_1.0.tar.gz');
    writeFileSync(archive, await buildPackage({ name: 'opsy', version: '1.0', manifest: OPS_MANIFEST }));
    const env = { home: home(), registry: reg.url, token: ADMIN_TOKEN };
    const pub = await uni(['pkg', 'publish', archive], env);
    expect(pub.code, JSON.stringify(pub)).toBe(0);
    expect(pub.stdout).toMatch(/^published library\/opsy@1\.0\.0 \(x86_64|aarch64\)/);
    expect(pub.stderr).toContain('uni: package.manifest: Version "1.0" is published as 1.0.0, its semantic-version form; "1.0" is kept as OriginalVersion\n');
    expect(pub.stderr).toContain('uni: package.manifest: "Kernel" is not a key uni knows; kept in the package as written, but an image takes only Program, Args,');

    // The image gets the package's lower-case program and args.
    const project = join(W, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'config.json'), JSON.stringify({ Dependencies: { opsy: '1' }, PackageBaseURL: 'https://repo.ops.city/v2/packages' }));
    const m = await uni(['manifest', '-c', join(project, 'config.json'), '--format', 'json'], env);
    expect(m.code, m.stderr).toBe(0);
    const doc = JSON.parse(m.stdout) as { program: string; arguments: string[] };
    expect(doc.program).toBe('/usr/bin/true');
    expect(doc.arguments).toEqual(['true', '-x']);
    expect(m.stderr).toContain("PackageBaseURL is not used: packages come from the uni registry (UNI_REGISTRY, --registry or `uni login --registry`), not from ops's package server");
  });

  it(':latest is the newest version that is not yanked', async () => {
    const env = { home: home(), registry: reg.url, token: ADMIN_TOKEN };
    for (const v of ['3.1.0', '3.2.0']) await publish(reg.url, 'acme/tool', v, 'x86_64', await buildPackage({ name: 'tool', version: v }));
    expect((await uni(['pkg', 'yank', 'acme/tool@3.2.0'], env)).code).toBe(0);
    const info = await uni(['pkg', 'info', 'acme/tool:latest', '--json'], env);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { version: string }).version).toBe('3.1.0');
    const bad = await uni(['pkg', 'info', 'acme/tool:newest'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid version range "newest"/);
  });

  it('refuses the same key in two spellings, naming both', async () => {
    const archive = join(W, 'twice_1.0.0.tar.gz');
    writeFileSync(archive, await buildPackage({ name: 'twice', version: '1.0.0', manifest: { program: '/usr/bin/false' } }));
    const r = await uni(['pkg', 'publish', archive], { home: home(), registry: reg.url, token: ADMIN_TOKEN });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('uni: package.manifest: "program" and "Program" are the same key in two spellings; keep one\n');
  });
});
