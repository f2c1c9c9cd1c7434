/** Publish, then every read: documents, ETags, blobs with ranges, search, yank, the feed. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateWith } from '../../protocol/validate.js';
import artifactSchema from '../../protocol/artifact-document.schema.json' with { type: 'json' };
import packageSchema from '../../protocol/package-document.schema.json' with { type: 'json' };
import { buildPackage, hostProgram } from '../helpers/archive.js';
import { call, expectError } from '../helpers/http.js';
import type { DeploymentRef } from './suite.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function definePublishReadTests(dep: DeploymentRef): void {
  describe('publish and read', () => {
    let archive: Buffer;
    const path = '/v1/packages/library/truth/1.0.0/x86_64';

    it('answers healthz', async () => {
      const r = await call(dep().baseUrl, 'GET', '/healthz');
      expect(r.status).toBe(200);
      expect(r.json()).toEqual({ ok: true });
    });

    it('publishes an archive and answers 201 with its digest', async () => {
      archive = await buildPackage({
        name: 'truth',
        version: '1.0.0',
        manifest: { Description: 'always succeeds', Dependencies: { glibc: '^2.36' } },
      });
      const r = await call(dep().baseUrl, 'PUT', path, { token: dep().adminToken, body: archive });
      expect(r.status, r.body.toString()).toBe(201);
      expect(r.json()).toMatchObject({
        name: 'library/truth',
        version: '1.0.0',
        arch: 'x86_64',
        digest: `sha256:${sha256(archive)}`,
        size: archive.length,
      });
    });

    it('serves the package document with a strong ETag and 304', async () => {
      const r = await call(dep().baseUrl, 'GET', '/v1/packages/library/truth');
      expect(r.status).toBe(200);
      const doc = validateWith<any>(packageSchema, r.json(), 'package document');
      expect(doc).toMatchObject({ name: 'library/truth', namespace: 'library', private: false, description: 'always succeeds' });
      expect(doc.versions['1.0.0']).toMatchObject({
        dependencies: { 'library/glibc': '^2.36' },
        yanked: false,
        artifacts: { x86_64: { digest: `sha256:${sha256(archive)}`, size: archive.length } },
      });
      const etag = r.headers.get('etag')!;
      expect(etag).toMatch(/^"[0-9a-f]+"$/);
      const again = await call(dep().baseUrl, 'GET', '/v1/packages/library/truth', { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      // A bare name is the library namespace in the CLI; the API names both parts.
      expectError(await call(dep().baseUrl, 'GET', '/v1/packages/library/nope'), 404, /package library\/nope not found/);
    });

    it('serves the artifact document with the file index', async () => {
      const r = await call(dep().baseUrl, 'GET', `${path.replace('x86_64', 'amd64')}`);
      expect(r.status).toBe(200);
      const doc = validateWith<any>(artifactSchema, r.json(), 'artifact document');
      expect(doc.manifest.Program).toBe('/usr/bin/true');
      const program = readFileSync(hostProgram().program);
      expect(doc.files).toContainEqual({ path: 'sysroot/usr/bin/true', type: 'file', mode: 0o755, size: program.length, sha256: sha256(program) });
      expect(doc.files).toContainEqual({ path: 'sysroot/bin', type: 'symlink', mode: 0o644, linkTarget: 'usr/bin' });
      expect(doc.files.map((f: { path: string }) => f.path)).toContain('package.manifest');
      expectError(await call(dep().baseUrl, 'GET', path.replace('x86_64', 'aarch64')), 404, /artifact library\/truth@1.0.0 for aarch64 not found/);
    });

    it('serves the blob whole and by range, immutable', async () => {
      const blobPath = `/v1/blobs/sha256/${sha256(archive)}`;
      const r = await call(dep().baseUrl, 'GET', blobPath);
      expect(r.status).toBe(200);
      expect(sha256(r.body)).toBe(sha256(archive));
      expect(r.headers.get('cache-control')).toMatch(/immutable/);
      expect(r.headers.get('etag')).toBe(`"sha256:${sha256(archive)}"`);
      const part = await call(dep().baseUrl, 'GET', blobPath, { headers: { range: 'bytes=100-1123' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${archive.length}`);
      expect(part.body.equals(archive.subarray(100, 1124))).toBe(true);
      const tail = await call(dep().baseUrl, 'GET', blobPath, { headers: { range: 'bytes=-10' } });
      expect(tail.body.equals(archive.subarray(archive.length - 10))).toBe(true);
      const beyond = await call(dep().baseUrl, 'GET', blobPath, { headers: { range: `bytes=${archive.length}-` } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${archive.length}`);
      expect((await call(dep().baseUrl, 'GET', blobPath, { headers: { 'if-none-match': r.headers.get('etag')! } })).status).toBe(304);
      const head = await call(dep().baseUrl, 'HEAD', blobPath);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(archive.length));
      expect(head.body.length).toBe(0);
      expectError(await call(dep().baseUrl, 'GET', `/v1/blobs/sha256/${'0'.repeat(64)}`), 404, /not found/);
      expectError(await call(dep().baseUrl, 'GET', '/v1/blobs/sha256/xyz'), 400, /invalid digest "sha256:xyz"/);
    });

    it('takes the same bytes again as a no-op and refuses different bytes with 409', async () => {
      const before = await dep().snapshot();
      const same = await call(dep().baseUrl, 'PUT', path, { token: dep().adminToken, body: archive });
      expect(same.status).toBe(200);
      expect(same.json().digest).toBe(`sha256:${sha256(archive)}`);
      const other = await buildPackage({ name: 'truth', version: '1.0.0', readme: 'changed', manifest: { Dependencies: { glibc: '^2.36' } } });
      expectError(
        await call(dep().baseUrl, 'PUT', path, { token: dep().adminToken, body: other }),
        409,
        /library\/truth@1.0.0 for x86_64 is already published with different bytes/,
        'conflict',
      );
      expect(await dep().snapshot()).toEqual(before);
    });

    it('searches by name and description, filters by arch, and pages', async () => {
      for (const [name, description] of [['zeta-db', 'a database'], ['alpha-web', 'a web server'], ['beta-web', 'another web server']] as const) {
        const body = await buildPackage({ name, version: '2.0.0', manifest: { Description: description } });
        expect((await call(dep().baseUrl, 'PUT', `/v1/packages/library/${name}/2.0.0/x86_64`, { token: dep().adminToken, body })).status).toBe(201);
      }
      const byName = (await call(dep().baseUrl, 'GET', '/v1/packages?q=zeta')).json();
      expect(byName.results.map((r: { name: string }) => r.name)).toEqual(['library/zeta-db']);
      expect(byName.results[0]).toMatchObject({ namespace: 'library', latest: '2.0.0', arches: ['x86_64'], private: false, description: 'a database' });
      const byWords = (await call(dep().baseUrl, 'GET', '/v1/packages?q=web%20serv')).json();
      expect(byWords.results.map((r: { name: string }) => r.name).sort()).toEqual(['library/alpha-web', 'library/beta-web']);
      expect((await call(dep().baseUrl, 'GET', '/v1/packages?q=web&arch=arm64')).json().results).toEqual([]);
      const seen: string[] = [];
      let cursor = '';
      for (let i = 0; i < 10; i += 1) {
        const page = (await call(dep().baseUrl, 'GET', `/v1/packages?limit=1&arch=x86_64${cursor}`)).json();
        seen.push(...page.results.map((r: { name: string }) => r.name));
        if (!page.next) break;
        cursor = `&cursor=${page.next}`;
      }
      expect(seen).toEqual(['library/alpha-web', 'library/beta-web', 'library/truth', 'library/zeta-db']);
      expectError(await call(dep().baseUrl, 'GET', '/v1/packages?limit=0'), 400, /query parameter "limit" must be between 1 and 100/);
      expectError(await call(dep().baseUrl, 'GET', '/v1/packages?arch=sparc'), 400, /unknown architecture "sparc"/);
    });

    it('yanks and unyanks, and the change feed records it all in order', async () => {
      const token = dep().adminToken;
      const y = await call(dep().baseUrl, 'POST', '/v1/packages/library/truth/1.0.0/yank', { token, body: { reason: 'CVE-1' } });
      expect(y.status).toBe(200);
      const doc = (await call(dep().baseUrl, 'GET', '/v1/packages/library/truth')).json();
      expect(doc.versions['1.0.0']).toMatchObject({ yanked: true, yankReason: 'CVE-1' });
      expect((await call(dep().baseUrl, 'DELETE', '/v1/packages/library/truth/1.0.0/yank', { token })).status).toBe(200);
      expect((await call(dep().baseUrl, 'GET', '/v1/packages/library/truth')).json().versions['1.0.0'].yanked).toBe(false);
      expectError(await call(dep().baseUrl, 'POST', '/v1/packages/library/truth/9.9.9/yank', { token }), 404, /version library\/truth@9.9.9 not found/);
      expectError(await call(dep().baseUrl, 'POST', '/v1/packages/library/truth/1.0.0/yank'), 401, /needs a token/);

      const feed = (await call(dep().baseUrl, 'GET', '/v1/changes?since=0&limit=1000')).json();
      const truth = feed.changes.filter((c: { name: string }) => c.name === 'library/truth');
      expect(truth.map((c: { type: string }) => c.type)).toEqual(['publish', 'yank', 'unyank']);
      expect(truth[0]).toMatchObject({ version: '1.0.0', arch: 'x86_64', digest: `sha256:${sha256(archive)}` });
      const seqs = feed.changes.map((c: { seq: number }) => c.seq);
      expect([...seqs].sort((a: number, b: number) => a - b)).toEqual(seqs);
      expect(feed.next).toBe(seqs[seqs.length - 1]);
      const rest = (await call(dep().baseUrl, 'GET', `/v1/changes?since=${seqs[1]}&limit=2`)).json();
      expect(rest.changes.map((c: { seq: number }) => c.seq)).toEqual(seqs.slice(2, 4));
      expect((await call(dep().baseUrl, 'GET', `/v1/changes?since=${feed.next}`)).json()).toEqual({ changes: [], next: feed.next });
    });
  });
}
