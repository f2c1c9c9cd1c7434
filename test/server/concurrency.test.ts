/** Simultaneous publishes of one version: the same bytes all succeed, different bytes have one winner. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { snapshotDataDir, startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';

const ADMIN = 'concurrency-admin-token-0123456789';

describe('ten simultaneous publishes of one version', () => {
  let server: ServerProcess;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-race-'));
    server = await startServerProcess(dataDir, ADMIN);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('with the same bytes: one creates it, the others are no-ops, one artifact and one feed entry', async () => {
    const archive = await buildPackage({ name: 'same', version: '1.0.0' });
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => call(server.url, 'PUT', '/v1/packages/library/same/1.0.0/x86_64', { token: ADMIN, body: archive })),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses, replies.map((r) => r.body.toString()).join('\n')).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(replies.map((r) => r.json().digest)).size).toBe(1);
    const snap = snapshotDataDir(dataDir);
    expect(snap.rows['artifacts']!.filter((a: any) => a.package === 'library/same')).toHaveLength(1);
    expect(snap.rows['changes']!.filter((c: any) => c.package === 'library/same')).toHaveLength(1);
    expect(snap.blobs.filter((b) => b.startsWith('tmp/'))).toEqual([]);
  });

  it('with different bytes: exactly one wins, the rest get 409, and the winner is what is served', async () => {
    const archives = await Promise.all(
      Array.from({ length: 10 }, (_, i) => buildPackage({ name: 'diff', version: '1.0.0', readme: `variant ${i}\n` })),
    );
    const replies = await Promise.all(
      archives.map((body) => call(server.url, 'PUT', '/v1/packages/library/diff/1.0.0/x86_64', { token: ADMIN, body })),
    );
    const winners = replies.filter((r) => r.status === 201);
    expect(winners).toHaveLength(1);
    const losers = replies.filter((r) => r.status === 409);
    expect(losers).toHaveLength(9);
    for (const l of losers) expect(l.json().error.message).toMatch(/already published with different bytes/);
    const doc = (await call(server.url, 'GET', '/v1/packages/library/diff')).json();
    expect(doc.versions['1.0.0'].artifacts.x86_64.digest).toBe(winners[0]!.json().digest);
    const snap = snapshotDataDir(dataDir);
    expect(snap.rows['changes']!.filter((c: any) => c.package === 'library/diff')).toHaveLength(1);
    expect(snap.blobs.filter((b) => b.startsWith('tmp/'))).toEqual([]);
  });
});
