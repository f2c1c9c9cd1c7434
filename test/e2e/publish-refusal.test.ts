/**
 * Archives refused by their first entries while most of their bytes are still to come: a
 * 100 MB one whose first entry is `../evil`, and a tar of 120,000 tiny entries. `uni pkg
 * publish` refuses them before uploading; a client that sends them anyway (curl, another
 * tool) gets the registry's refusal naming the entry, never `internal`. Nothing is kept. So
 * does a manifest too deep for the validator and JSON.stringify, refused before either runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipTar, buildTar, type TarEntry } from '../helpers/archive.js';
import { snapshotDataDir, startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';
import { ADMIN_TOKEN, requireBuild, tempHome, removeHome, uni } from './harness.js';

let dataDir: string;
let server: ServerProcess;
let work: string;
let home: string;
beforeAll(async () => {
  requireBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'uni-refusal-'));
  work = mkdtempSync(join(tmpdir(), 'uni-refusal-work-'));
  home = tempHome();
  server = await startServerProcess(dataDir, ADMIN_TOKEN);
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  removeHome(home);
});

async function put(path: string, body: Buffer): Promise<{ status: number; body: { error: { code: string; message: string } } }> {
  const res = await fetch(`${server.url}/v1/packages/library/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/gzip' },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
}

const cases: Array<{ what: string; make: () => Promise<Buffer>; status: number; code: string; message: string }> = [
  {
    what: 'a 100 MB archive whose first entry is ../evil',
    make: async () => gzipSync(await buildTar([{ name: '../evil', content: 'x' }, { name: 'evil_1.0.0/big', content: randomBytes(100 << 20) }]), { level: 0 }),
    status: 400,
    code: 'bad_archive',
    message: 'archive entry "../evil" contains ".."; entries may not leave the top folder',
  },
  {
    what: 'a tar of 120,000 tiny entries',
    make: () => {
      const entries: TarEntry[] = [{ name: 'evil_1.0.0/', type: 'directory' }];
      for (let i = 0; i < 120_000; i += 1) entries.push({ name: `evil_1.0.0/f${i}`, content: '' });
      return gzipTar(entries);
    },
    status: 413,
    code: 'archive_too_large',
    message: 'archive has more than 100000 entries (at "evil_1.0.0/f99999")',
  },
  {
    what: 'a package.manifest nested 100,000 levels deep',
    make: () =>
      gzipTar([
        { name: 'evil_1.0.0/', type: 'directory' },
        { name: 'evil_1.0.0/package.manifest', content: `{"Version":"1.0.0","ManifestPassthrough":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}` },
      ]),
    status: 400,
    code: 'invalid_manifest',
    message: `package.manifest: field /ManifestPassthrough${'/a'.repeat(50)}... nests more than 64 levels deep, the limit`,
  },
];

describe('an archive refused long before its end', () => {
  for (const c of cases) {
    it(`${c.what}: refused with its entry named by uni pkg publish and by the registry, leaving nothing`, async () => {
      const archive = await c.make();
      const before = snapshotDataDir(dataDir);
      const file = join(work, 'evil.tar.gz');
      writeFileSync(file, archive);
      const run = await uni(['pkg', 'publish', file], { home, registry: server.url, token: ADMIN_TOKEN });
      expect(run.stderr).toBe(`uni: ${c.message}\n`);
      expect(run.code).toBe(1);

      const answer = await put('evil/1.0.0/x86_64', archive);
      expect(answer).toEqual({ status: c.status, body: { error: { code: c.code, message: c.message } } });
      expect(snapshotDataDir(dataDir)).toEqual(before);
    });
  }
});
