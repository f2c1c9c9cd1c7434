/** Tokens, namespaces and private packages. */
import { describe, expect, it } from 'vitest';
import { validateWith } from '../../schemas/validate.js';
import tokenSchema from '../../schemas/token.schema.json' with { type: 'json' };
import { buildPackage } from '../helpers/archive.js';
import { call, expectError } from '../helpers/http.js';
import type { DeploymentRef } from './suite.js';

export async function makeToken(dep: DeploymentRef, body: object, by = dep().adminToken): Promise<{ id: string; token: string }> {
  const r = await call(dep().baseUrl, 'POST', '/v1/tokens', { token: by, body });
  expect(r.status, r.body.toString()).toBe(201);
  return validateWith<{ id: string; token: string }>(tokenSchema, r.json(), 'token');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function defineAuthTests(dep: DeploymentRef): void {
  describe('tokens, namespaces, private packages', () => {
    it('shows a new token once and describes it on whoami', async () => {
      const t = await makeToken(dep, { scopes: ['publish'], namespace: 'acme', name: 'ci' });
      expect(t.token).toMatch(/^uni_/);
      const me = await call(dep().baseUrl, 'GET', '/v1/whoami', { token: t.token });
      expect(me.status).toBe(200);
      const doc = validateWith<Record<string, unknown>>(tokenSchema, me.json(), 'token');
      expect(doc).toMatchObject({ id: t.id, scopes: ['publish'], namespace: 'acme', owner: 'acme', name: 'ci' });
      expect(doc).not.toHaveProperty('token');
      expectError(await call(dep().baseUrl, 'GET', '/v1/whoami'), 401, /needs a token/);
      expectError(await call(dep().baseUrl, 'GET', '/v1/whoami', { token: 'uni_made-up' }), 401, /not known/);
    });

    it('checks a token request field by field', async () => {
      const admin = dep().adminToken;
      expectError(await call(dep().baseUrl, 'POST', '/v1/tokens', { token: admin, body: { scopes: ['root'] } }), 400, /field \/scopes\/0 must be equal to one of the allowed values/);
      expectError(await call(dep().baseUrl, 'POST', '/v1/tokens', { token: admin, body: { scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' } }), 400, /field "expiresAt" .* is in the past/);
      const narrow = await makeToken(dep, { scopes: ['read'], namespace: 'acme' });
      expectError(await call(dep().baseUrl, 'POST', '/v1/tokens', { token: narrow.token, body: { scopes: ['publish'] } }), 403, /cannot grant "publish"/);
    });

    it('lets a namespace token publish only into its namespace, and the first publisher own it', async () => {
      const acme = await makeToken(dep, { scopes: ['publish'], namespace: 'acme' });
      const body = await buildPackage({ name: 'tool', version: '1.0.0' });
      expect((await call(dep().baseUrl, 'PUT', '/v1/packages/acme/tool/1.0.0/x86_64', { token: acme.token, body })).status).toBe(201);

      const alice = await makeToken(dep, { scopes: ['publish'], owner: 'alice' });
      const bob = await makeToken(dep, { scopes: ['publish'], owner: 'bob' });
      expect((await call(dep().baseUrl, 'PUT', '/v1/packages/wonderland/tool/1.0.0/x86_64', { token: alice.token, body })).status).toBe(201);
      const before = await dep().snapshot();
      expectError(
        await call(dep().baseUrl, 'PUT', '/v1/packages/wonderland/tool/1.0.1/x86_64', { token: bob.token, body: await buildPackage({ name: 'tool', version: '1.0.1' }) }),
        403,
        /namespace "wonderland" belongs to another owner/,
        'forbidden',
      );
      expectError(await call(dep().baseUrl, 'PUT', '/v1/packages/library/tool/1.0.0/x86_64', { token: alice.token, body }), 403, /namespace "library" belongs to the registry's admins/);
      expect(await dep().snapshot()).toEqual(before);
    });

    it('hides a private package from everyone without read access to its namespace', async () => {
      const owner = await makeToken(dep, { scopes: ['publish'], namespace: 'secret' });
      const body = await buildPackage({ name: 'vault', version: '1.0.0', manifest: { Description: 'hidden vault' } });
      const pub = await call(dep().baseUrl, 'PUT', '/v1/packages/secret/vault/1.0.0/x86_64?private=true', { token: owner.token, body });
      expect(pub.status).toBe(201);
      const blob = `/v1/blobs/sha256/${pub.json().digest.slice(7)}`;
      const reader = await makeToken(dep, { scopes: ['read'], namespace: 'secret' });
      const outsider = await makeToken(dep, { scopes: ['read'], namespace: 'acme' });
      for (const token of [undefined, outsider.token]) {
        const opts = token === undefined ? {} : { token };
        expectError(await call(dep().baseUrl, 'GET', '/v1/packages/secret/vault', opts), 404, /package secret\/vault not found/);
        expectError(await call(dep().baseUrl, 'GET', '/v1/packages/secret/vault/1.0.0/x86_64', opts), 404, /not found/);
        expectError(await call(dep().baseUrl, 'GET', blob, opts), 404, /not found/);
        expect((await call(dep().baseUrl, 'GET', '/v1/packages?q=vault', opts)).json().results).toEqual([]);
        const feed = (await call(dep().baseUrl, 'GET', '/v1/changes?limit=1000', opts)).json();
        expect(feed.changes.some((c: { name: string }) => c.name === 'secret/vault')).toBe(false);
      }
      for (const token of [reader.token, owner.token, dep().adminToken]) {
        expect((await call(dep().baseUrl, 'GET', '/v1/packages/secret/vault', { token })).json().private).toBe(true);
        expect((await call(dep().baseUrl, 'GET', blob, { token })).status).toBe(200);
        expect((await call(dep().baseUrl, 'GET', '/v1/packages?q=vault', { token })).json().results[0]).toMatchObject({ name: 'secret/vault', private: true });
      }
      expectError(
        await call(dep().baseUrl, 'PUT', '/v1/packages/secret/vault/1.0.1/x86_64?private=false', { token: owner.token, body }),
        409,
        /package secret\/vault is private; visibility is set by its first publish/,
      );
    });

    it('refuses a revoked token at once', async () => {
      const t = await makeToken(dep, { scopes: ['publish'], namespace: 'revoked-ns' });
      expect((await call(dep().baseUrl, 'GET', '/v1/whoami', { token: t.token })).status).toBe(200);
      const del = await call(dep().baseUrl, 'DELETE', `/v1/tokens/${t.id}`, { token: dep().adminToken });
      expect(del.status).toBe(200);
      expect(del.json().revokedAt).toBeTruthy();
      const before = await dep().snapshot();
      const body = await buildPackage({ name: 'late', version: '1.0.0' });
      expectError(await call(dep().baseUrl, 'PUT', '/v1/packages/revoked-ns/late/1.0.0/x86_64', { token: t.token, body }), 401, new RegExp(`token ${t.id} has been revoked`), 'unauthorized');
      expect(await dep().snapshot()).toEqual(before);
      expectError(await call(dep().baseUrl, 'DELETE', '/v1/tokens/0000000000000000', { token: dep().adminToken }), 404, /token 0000000000000000 not found/);
    });

    it('refuses an expired token', async () => {
      const t = await makeToken(dep, { scopes: ['publish'], namespace: 'expired-ns', expiresAt: new Date(Date.now() + 1500).toISOString() });
      expect((await call(dep().baseUrl, 'GET', '/v1/whoami', { token: t.token })).status).toBe(200);
      await sleep(1700);
      const before = await dep().snapshot();
      const body = await buildPackage({ name: 'late', version: '1.0.0' });
      expectError(await call(dep().baseUrl, 'PUT', '/v1/packages/expired-ns/late/1.0.0/x86_64', { token: t.token, body }), 401, new RegExp(`token ${t.id} expired at`), 'unauthorized');
      expect(await dep().snapshot()).toEqual(before);
    });
  });
}
