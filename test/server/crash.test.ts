/**
 * Crash safety with a real process: SIGKILL the registry while a publish is uploading,
 * restart it on the same data folder, and check nothing half-done is visible.
 */
import { request } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';

const ADMIN = 'crash-test-admin-token-0123456789';
const PATH = '/v1/packages/library/crashy/1.0.0/x86_64';

async function waitFor(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stagedFiles(dataDir: string): number {
  const dir = join(dataDir, 'blobs', 'tmp');
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

describe('a registry killed in the middle of a publish', () => {
  let server: ServerProcess | undefined;
  let dataDir = '';
  afterEach(async () => {
    await server?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes back without the version, with an intact database, and takes the retry', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-crash-'));
    server = await startServerProcess(dataDir, ADMIN);
    const archive = await buildPackage({ name: 'crashy', version: '1.0.0' });
    const half = Math.floor(archive.length / 2);

    // Send half of the body, wait until the server is staging it, then kill it.
    const upload = request(server.url + PATH, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-length': String(archive.length) },
    });
    const uploadEnded = new Promise<void>((resolve) => {
      upload.on('error', () => resolve());
      upload.on('response', () => resolve());
    });
    upload.write(archive.subarray(0, half));
    await waitFor('the server to stage the body', () => stagedFiles(dataDir) > 0);
    await server.stop('SIGKILL');
    await uploadEnded;
    expect(server.child.signalCode).toBe('SIGKILL');

    server = await startServerProcess(dataDir, ADMIN);
    const db = new Database(join(dataDir, 'registry.sqlite'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare("SELECT count(*) AS n FROM artifacts WHERE package = 'library/crashy'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT count(*) AS n FROM changes WHERE package = 'library/crashy'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect((await call(server.url, 'GET', '/v1/packages/library/crashy')).status).toBe(404);
    expect(readdirSync(join(dataDir, 'blobs', 'sha256'))).toEqual([]);

    const retry = await call(server.url, 'PUT', PATH, { token: ADMIN, body: archive });
    expect(retry.status, retry.body.toString()).toBe(201);
    const blob = await call(server.url, 'GET', `/v1/blobs/sha256/${retry.json().digest.slice(7)}`);
    expect(blob.body.equals(archive)).toBe(true);
  });
});
