/**
 * Publish bodies sent without a Content-Length (chunked): the limit is enforced while
 * counting, and a refused body leaves nothing. The app runs in-process here so the test can
 * give it a small limit; the HTTP is real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../../server/config.js';
import { listen, openNodeRegistry, type Listening } from '../../server/node.js';
import { buildPackage } from '../helpers/archive.js';
import { snapshotDataDir } from '../helpers/node-deployment.js';

const ADMIN = 'stream-admin-token-0123456789';

function chunked(buf: Buffer, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= buf.length) return c.close();
      c.enqueue(new Uint8Array(buf.subarray(at, at + size)));
      at += size;
    },
  });
}

async function put(url: string, body: ReadableStream<Uint8Array>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}` },
    body,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, text: await res.text() };
}

describe('a chunked publish body', () => {
  let dataDir: string;
  let server: Listening;
  let archive: Buffer;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-stream-'));
    archive = await buildPackage({ name: 'chunky', version: '1.0.0' });
    const registry = await openNodeRegistry({
      dataDir,
      adminToken: ADMIN,
      config: serverConfig({ maxBodyBytes: archive.length - 1, log: () => undefined }),
    });
    server = await listen(registry, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is refused with 413 once it passes the limit, storing nothing', async () => {
    const before = snapshotDataDir(dataDir);
    const r = await put(`${server.url}/v1/packages/library/chunky/1.0.0/x86_64`, chunked(archive, 64 * 1024));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error.message).toBe(`archive is larger than the limit of ${archive.length - 1} bytes`);
    expect(snapshotDataDir(dataDir)).toEqual(before);
  });

  it('is taken when it fits', async () => {
    const small = await buildPackage({ name: 'chunky', version: '1.0.1', manifest: { Program: undefined } });
    expect(small.length).toBeLessThan(archive.length);
    const r = await put(`${server.url}/v1/packages/library/chunky/1.0.1/x86_64`, chunked(small, 1000));
    expect(r.status, r.text).toBe(201);
  });
});
