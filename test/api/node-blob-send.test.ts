/**
 * The Node entry sends folder-store blobs itself (server/adapters/node-blob-sender.ts): blobs of
 * several 1 MiB reads, ranges across read boundaries, and a client that hangs up mid-download.
 */
import { createHash, randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { startNodeFsDeployment, type NodeFsDeployment } from '../helpers/node-deployment.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

describe('blob downloads on Node, sent straight from the file', () => {
  let dep: NodeFsDeployment;
  let archive: Buffer;
  let blobPath: string;

  beforeAll(async () => {
    dep = await startNodeFsDeployment();
    // Random bytes do not compress: the archive spans several of the sender's reads.
    archive = await buildPackage({ name: 'heavy', version: '1.0.0', extra: [{ name: 'heavy_1.0.0/sysroot/data.bin', content: randomBytes(3 * MiB + 12345) }] });
    expect(archive.length).toBeGreaterThan(3 * MiB);
    const r = await call(dep.baseUrl, 'PUT', '/v1/packages/library/heavy/1.0.0/x86_64', { token: dep.adminToken, body: archive });
    expect(r.status, r.body.toString()).toBe(201);
    blobPath = `/v1/blobs/sha256/${sha256(archive)}`;
  });

  afterAll(async () => {
    await dep?.stop();
  });

  it('serves the whole blob with its length and ETag', async () => {
    const r = await call(dep.baseUrl, 'GET', blobPath);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe(String(archive.length));
    expect(r.headers.get('etag')).toBe(`"sha256:${sha256(archive)}"`);
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(sha256(r.body)).toBe(sha256(archive));
  });

  it('serves ranges that cross read boundaries, and the open-ended tail', async () => {
    const across = await call(dep.baseUrl, 'GET', blobPath, { headers: { range: `bytes=${MiB - 7}-${2 * MiB + 3}` } });
    expect(across.status).toBe(206);
    expect(across.headers.get('content-range')).toBe(`bytes ${MiB - 7}-${2 * MiB + 3}/${archive.length}`);
    expect(across.body.equals(archive.subarray(MiB - 7, 2 * MiB + 4))).toBe(true);
    const tail = await call(dep.baseUrl, 'GET', blobPath, { headers: { range: `bytes=${2 * MiB}-` } });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(archive.subarray(2 * MiB))).toBe(true);
  });

  it('keeps serving after a client hangs up mid-download, and logs no error for it', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = get(dep.baseUrl + blobPath, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    });
    const again = await call(dep.baseUrl, 'GET', blobPath);
    expect(again.status).toBe(200);
    expect(sha256(again.body)).toBe(sha256(archive));
    expect(dep.server.output()).not.toMatch(/error sending blob/);
  });
});
