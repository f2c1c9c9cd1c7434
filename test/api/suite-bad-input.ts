/**
 * One test per kind of bad publish: each asserts the status, the words of the message (which
 * name the entry or field at fault) and that the registry stored nothing of it.
 */
import { Agent } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildTar, gzipTar, packageEntries, programForOtherArch, type TarEntry } from '../helpers/archive.js';
import { call, expectError, putDeclaringLength, sendOn } from '../helpers/http.js';
import { makeToken } from './suite-auth.js';
import type { DeploymentRef } from './suite.js';

const TOP = 'bad_1.0.0';
const PATH = '/v1/packages/library/bad/1.0.0/x86_64';

/** A good package of /bin/true with something wrong added or changed. */
function withEntries(extra: TarEntry[], manifest?: Record<string, unknown>): Promise<Buffer> {
  return gzipTar(packageEntries({ name: 'bad', version: '1.0.0', extra, ...(manifest ? { manifest } : {}) }));
}

function withoutManifest(replacement?: TarEntry): Promise<Buffer> {
  const entries = packageEntries({ name: 'bad', version: '1.0.0' }).filter((e) => !e.name.endsWith('/package.manifest'));
  return gzipTar(replacement ? [...entries, replacement] : entries);
}

interface BadCase {
  what: string;
  archive: () => Promise<Buffer>;
  status: number;
  message: RegExp;
  path?: string;
}

const cases: BadCase[] = [
  { what: 'path traversal', archive: () => withEntries([{ name: `${TOP}/sysroot/../../../etc/cron.d/x`, content: 'x' }]), status: 400, message: /archive entry "bad_1.0.0\/sysroot\/..\/..\/..\/etc\/cron.d\/x" contains ".."/ },
  { what: 'an absolute path', archive: () => withEntries([{ name: '/etc/passwd', content: 'root' }]), status: 400, message: /archive entry "\/etc\/passwd" has an absolute path/ },
  {
    what: 'a link escaping sysroot',
    archive: () => withEntries([{ name: `${TOP}/sysroot/etc/shadow`, type: 'symlink', linkname: '../../../../etc/shadow' }]),
    status: 400,
    message: /archive entry "bad_1.0.0\/sysroot\/etc\/shadow" is a symbolic link to "..\/..\/..\/..\/etc\/shadow", which escapes the top folder/,
  },
  { what: 'a hard link', archive: () => withEntries([{ name: `${TOP}/sysroot/usr/bin/false`, type: 'link', linkname: `${TOP}/sysroot/usr/bin/true` }]), status: 400, message: /archive entry "bad_1.0.0\/sysroot\/usr\/bin\/false" is a hard link/ },
  { what: 'a device file', archive: () => withEntries([{ name: `${TOP}/sysroot/dev/null`, type: 'character-device' }]), status: 400, message: /archive entry "bad_1.0.0\/sysroot\/dev\/null" is a character-device; only folders, regular files and symbolic links are allowed/ },
  {
    what: 'a path more than 256 folders deep',
    archive: () => withEntries([{ name: `${TOP}/sysroot/${'a/'.repeat(300)}x`, content: 'x' }]),
    status: 400,
    message: /archive entry "bad_1.0.0\/sysroot\/a\/a\/.*\.\.\." is more than 256 folders deep/,
  },
  { what: 'a missing manifest', archive: () => withoutManifest(), status: 400, message: /archive has no bad_1.0.0\/package.manifest/ },
  { what: 'a manifest that is not JSON', archive: () => withoutManifest({ name: `${TOP}/package.manifest`, content: '{"Version": ' }), status: 400, message: /bad_1.0.0\/package.manifest is not valid JSON/ },
  { what: 'a manifest against the schema', archive: () => withEntries([], { Args: 'true' }), status: 400, message: /package.manifest: field \/Args must be array/ },
  // An unknown key is kept, as ops ignores it (docs/client.md); one key in two spellings is ambiguous.
  { what: 'a manifest key in two spellings', archive: () => withEntries([], { args: ['x'] }), status: 400, message: /package.manifest: "args" and "Args" are the same key in two spellings; keep one/ },
  { what: 'a Name that differs from the URL', archive: () => withEntries([], { Name: 'other' }), status: 400, message: /package.manifest: field \/Name is "other" but the archive is published as "bad"/ },
  { what: 'a Version that differs from the URL', archive: () => withEntries([], { Version: '1.0.1' }), status: 400, message: /package.manifest: field \/Version is "1.0.1" but the archive is published as version 1.0.0/ },
  {
    what: 'a top folder that differs from the URL',
    archive: async () => gzipTar(packageEntries({ name: 'bad', version: '1.0.0' }).map((e) => ({ ...e, name: e.name.replace(TOP, 'good_1.0.0') }))),
    status: 400,
    message: /archive's top folder is "good_1.0.0\/" but must be "bad_1.0.0\/"/,
  },
  {
    what: 'a Program for another CPU',
    archive: () => gzipTar(packageEntries({ name: 'bad', version: '1.0.0', programBytes: programForOtherArch() })),
    status: 400,
    message: /field \/Program "\/usr\/bin\/true" \(bad_1.0.0\/sysroot\/usr\/bin\/true\) is an ELF for aarch64 but the archive is published for x86_64/,
  },
  { what: 'a truncated gzip', archive: async () => (await withEntries([])).subarray(0, 300_000), status: 400, message: /archive is not a well-formed gzip file: .*truncated/ },
  {
    what: 'a gzip bomb',
    archive: async () =>
      gzipSync(
        await buildTar([
          { name: `${TOP}/package.manifest`, content: JSON.stringify({ Version: '1.0.0' }) },
          { name: `${TOP}/sysroot/zeros`, content: Buffer.alloc(64 * 1024 * 1024) },
        ]),
        { level: 9 },
      ),
    status: 413,
    message: /archive expands more than 200 times its compressed size/,
  },
  { what: 'a bad package name', archive: () => withEntries([]), path: '/v1/packages/library/Bad!/1.0.0/x86_64', status: 400, message: /invalid package name "Bad!"/ },
  { what: 'a bad version', archive: () => withEntries([]), path: '/v1/packages/library/bad/1.x/x86_64', status: 400, message: /invalid version "1.x": it must be a semantic version/ },
  { what: 'an unknown architecture', archive: () => withEntries([]), path: '/v1/packages/library/bad/1.0.0/sparc', status: 400, message: /unknown architecture "sparc"/ },
];

export function defineBadInputTests(dep: DeploymentRef): void {
  describe('refused publishes store nothing', () => {
    for (const c of cases) {
      it(`refuses ${c.what}`, async () => {
        const body = await c.archive();
        const before = await dep().snapshot();
        const r = await call(dep().baseUrl, 'PUT', c.path ?? PATH, { token: dep().adminToken, body });
        expectError(r, c.status, c.message);
        expect(await dep().snapshot()).toEqual(before);
      });
    }

    it('answers a publish without a token although the body it declared never comes', async () => {
      const before = await dep().snapshot();
      const r = await putDeclaringLength(dep().baseUrl, PATH, undefined, 1024 * 1024, Buffer.alloc(1024));
      expect(r.status).toBe(401);
      expect(await dep().snapshot()).toEqual(before);
    }, 15_000);

    it('refuses a body over the limit from its Content-Length, with 413', async () => {
      const before = await dep().snapshot();
      const r = await putDeclaringLength(dep().baseUrl, PATH, dep().adminToken, 3 * 1024 ** 3, Buffer.alloc(1024));
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.message).toMatch(/archive is larger than the limit of \d+ bytes/);
      expect(await dep().snapshot()).toEqual(before);
    });

    it('refuses a publish without a token (401) and outside the token\'s namespace (403)', async () => {
      const body = await withEntries([]);
      const acme = await makeToken(dep, { scopes: ['publish'], namespace: 'acme-only' });
      const before = await dep().snapshot();
      expectError(await call(dep().baseUrl, 'PUT', '/v1/packages/acme-only/bad/1.0.0/x86_64', { body }), 401, /publishing needs a token/, 'unauthorized');
      const afterAnonymous = await dep().snapshot();
      expect(afterAnonymous).toEqual(before);
      expectError(
        await call(dep().baseUrl, 'PUT', '/v1/packages/elsewhere/bad/1.0.0/x86_64', { token: acme.token, body }),
        403,
        new RegExp(`token ${acme.id} may publish only in namespace "acme-only", not "elsewhere"`),
        'forbidden',
      );
      const afterElsewhere = await dep().snapshot();
      expect(afterElsewhere).toEqual(afterAnonymous);
      const reader = await makeToken(dep, { scopes: ['read'], namespace: 'acme-only' });
      const beforeReader = await dep().snapshot();
      // The snapshot sees a new token, so the equalities above are not blind to changes.
      expect(beforeReader).not.toEqual(afterElsewhere);
      expectError(await call(dep().baseUrl, 'PUT', '/v1/packages/acme-only/bad/1.0.0/x86_64', { token: reader.token, body }), 403, /lacks the publish scope/);
      expect(await dep().snapshot()).toEqual(beforeReader);
    });

    // workerd closes a connection whose body the app left unread, and a client that sends its
    // next request on it at that moment gets ECONNRESET: a refusal must keep it usable.
    const refusals: { what: string; status: number; path: string; admin: boolean; archive: () => Promise<Buffer> }[] = [
      { what: 'before reading it (no token)', status: 401, path: PATH, admin: false, archive: () => withEntries([]) },
      { what: 'before reading it (a bad architecture)', status: 400, path: '/v1/packages/library/bad/1.0.0/sparc', admin: true, archive: () => withEntries([]) },
      { what: 'after reading part of it (a gzip bomb)', status: 413, path: PATH, admin: true, archive: cases.find((c) => c.what === 'a gzip bomb')!.archive },
    ];
    for (const r of refusals) {
      it(`keeps the connection after refusing a publish ${r.what}`, async () => {
        const body = await r.archive();
        const headers: Record<string, string> = r.admin ? { authorization: `Bearer ${dep().adminToken}` } : {};
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; i < 3; i++) {
            expect((await sendOn(agent, dep().baseUrl, 'PUT', r.path, headers, body)).status).toBe(r.status);
            // Time for a close from the server to arrive, so that it shows as a new socket.
            await new Promise((resolve) => setTimeout(resolve, 50));
            expect(await sendOn(agent, dep().baseUrl, 'GET', '/healthz')).toEqual({ status: 200, reusedSocket: true });
          }
        } finally {
          agent.destroy();
        }
      });
    }
  });
}
