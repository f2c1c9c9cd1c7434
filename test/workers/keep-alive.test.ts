/**
 * A refusal answered before the body is read must leave the connection usable: workerd drops
 * it otherwise, and the next request a client sends on it fails with ECONNRESET (about 1 in
 * 50 before the Worker drained small bodies, so the loop is long enough to catch it).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../helpers/http.js';
import { startWorkersDeployment, type WorkersDeployment } from './deployment.js';

let dep: WorkersDeployment;
beforeAll(async () => {
  dep = await startWorkersDeployment();
}, 240_000);
afterAll(async () => {
  await dep?.stop();
});

it('keeps the connection after refusing a publish without reading its body', async () => {
  const body = Buffer.alloc(200_000, 7);
  const failures: string[] = [];
  for (let i = 0; i < 250; i++) {
    const refused = await call(dep.baseUrl, 'PUT', '/v1/packages/acme/thing/1.0.0/x86_64', { body });
    expect(refused.status).toBe(401);
    try {
      const next = await call(dep.baseUrl, 'GET', '/v1/whoami', { token: dep.adminToken });
      expect(next.status).toBe(200);
    } catch (e) {
      failures.push(String((e as Error).cause ?? e));
    }
  }
  expect(failures).toEqual([]);
}, 120_000);
