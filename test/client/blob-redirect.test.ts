import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheLayout } from '../../client/cache/layout.js';
import { removeTree } from '../../client/cache/tree.js';
import { ensureArtifact } from '../../client/fetch/artifact.js';
import { silentProgress } from '../../client/progress.js';
import { RegistryClient } from '../../client/registry/client.js';
import { buildPackage } from '../helpers/archive.js';

const fast = { timeoutMs: 5_000, retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 50 }, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

const servers: http.Server[] = [];
let home: string;

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'uni-redirect-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  removeTree(home);
});

/** A registry that answers the blob route with `status` to a presigned URL on a second server, as an S3-backed one does. */
async function presigningPair(archive: Buffer, status: number): Promise<{ registry: string; seen: Array<{ where: string; auth?: string | undefined }> }> {
  const seen: Array<{ where: string; auth?: string | undefined }> = [];
  const bucket = await serve((req, res) => {
    seen.push({ where: 'bucket', auth: req.headers.authorization });
    if (req.headers.authorization) {
      res.writeHead(400).end('<Error>Only one auth mechanism allowed</Error>');
      return;
    }
    res.writeHead(200, { 'content-length': archive.length }).end(archive);
  });
  const registry = await serve((req, res) => {
    seen.push({ where: 'registry', auth: req.headers.authorization });
    res.writeHead(status, { location: `${bucket}/blobs/x?X-Amz-Signature=abc` }).end();
  });
  return { registry, seen };
}

describe('blob downloads from a registry that redirects to storage', () => {
  for (const status of [302, 307]) {
    it(`follows a ${status} to another origin without the token, and verifies the digest`, async () => {
      const archive = await buildPackage({ name: 'app', version: '1.0.0' });
      const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
      const { registry, seen } = await presigningPair(archive, status);
      const client = new RegistryClient({ baseUrl: registry, token: 'secret-token', http: fast });
      const tree = await ensureArtifact(
        { layout: cacheLayout(home), client, progress: silentProgress, warn: () => {} },
        { name: 'library/app', version: '1.0.0', arch: 'x86_64', digest, size: archive.length },
      );
      expect(readFileSync(join(tree.path, 'package.manifest'), 'utf8')).toContain('"Name": "app"');
      expect(seen).toEqual([
        { where: 'registry', auth: 'Bearer secret-token' },
        { where: 'bucket', auth: undefined },
      ]);
    });
  }

  it('still refuses bytes whose digest is not the one listed', async () => {
    const archive = await buildPackage({ name: 'app', version: '1.0.0' });
    const { registry } = await presigningPair(archive, 302);
    const client = new RegistryClient({ baseUrl: registry, http: fast });
    await expect(
      ensureArtifact(
        { layout: cacheLayout(home), client, progress: silentProgress, warn: () => {} },
        { name: 'library/app', version: '1.0.0', arch: 'x86_64', digest: `sha256:${'0'.repeat(64)}`, size: archive.length },
      ),
    ).rejects.toThrow(/the archive's digest is sha256:[0-9a-f]{64}, but the registry lists sha256:0{64}/);
  });
});
