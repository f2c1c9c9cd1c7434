/** The first admin token: printed once on an empty data folder, or taken from UNI_ADMIN_TOKEN. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../helpers/http.js';
import { startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';

/** The token line is written after the listening line, possibly in a later chunk. */
async function printedToken(server: ServerProcess): Promise<string | null> {
  const re = /admin token, shown this once \(keep it\): (uni_\S+)/;
  for (let i = 0; i < 100 && !re.test(server.output()); i += 1) await new Promise((r) => setTimeout(r, 20));
  return re.exec(server.output())?.[1] ?? null;
}

describe('the first admin token', () => {
  let server: ServerProcess | undefined;
  let dataDir = '';
  afterEach(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is generated and printed once when the data folder is empty and no token is given', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-boot-'));
    server = await startServerProcess(dataDir, '');
    const token = await printedToken(server);
    expect(token, server.output()).not.toBeNull();
    const me = await call(server.url, 'GET', '/v1/whoami', { token: token! });
    expect(me.json()).toMatchObject({ scopes: ['admin'], owner: 'admin' });
    await server.stop();
    server = await startServerProcess(dataDir, '');
    expect((await call(server.url, 'GET', '/v1/whoami', { token: token! })).status).toBe(200);
    expect(server.output()).not.toMatch(/admin token/);
  });

  it('comes from UNI_ADMIN_TOKEN, and a new value retires the previous one', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-boot-'));
    server = await startServerProcess(dataDir, 'first-admin-token-0123456789');
    expect(server.output()).not.toMatch(/admin token/);
    expect((await call(server.url, 'GET', '/v1/whoami', { token: 'first-admin-token-0123456789' })).status).toBe(200);
    await server.stop();
    server = await startServerProcess(dataDir, 'second-admin-token-0123456789');
    expect((await call(server.url, 'GET', '/v1/whoami', { token: 'second-admin-token-0123456789' })).status).toBe(200);
    const old = await call(server.url, 'GET', '/v1/whoami', { token: 'first-admin-token-0123456789' });
    expect(old.status).toBe(401);
    expect(old.json().error.message).toMatch(/has been revoked/);
  });

  it('refuses a UNI_ADMIN_TOKEN too short to be a secret, and does not start', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-boot-'));
    await expect(startServerProcess(dataDir, 'short')).rejects.toThrow(/UNI_ADMIN_TOKEN must be at least 16 characters/);
  });
});
