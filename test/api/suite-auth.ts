/** Tokens, namespaces and private packages. */
import { describe, expect, it } from 'vitest';
import { validateWith } from '../../protocol/validate.js';
import tokenSchema from '../../protocol/token.schema.json' with { type: 'json' };
import { buildPackage } from '../helpers/archive.js';
import { call, expectError, heldPut } from '../helpers/http.js';
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

    it('lets a publish token mint a read token, since publish implies read', async () => {
      const publisher = await makeToken(dep, { scopes: ['publish'], namespace: 'mintns' });
      const reader = await makeToken(dep, { scopes: ['read'], name: 'ci-read' }, publisher.token);
      const doc = (await call(dep().baseUrl, 'GET', '/v1/whoami', { token: reader.token })).json();
      expect(doc).toMatchObject({ scopes: ['read'], namespace: 'mintns', owner: 'mintns' });
      const pub = await call(dep().baseUrl, 'PUT', '/v1/packages/mintns/hidden/1.0.0/x86_64?private=true', {
        token: publisher.token,
        body: await buildPackage({ name: 'hidden', version: '1.0.0' }),
      });
      expect(pub.status, pub.body.toString()).toBe(201);
      expect((await call(dep().baseUrl, 'GET', '/v1/packages/mintns/hidden', { token: reader.token })).status).toBe(200);
      // The minted token is no wider than read: it neither publishes nor grants publish.
      expectError(await call(dep().baseUrl, 'POST', '/v1/tokens', { token: reader.token, body: { scopes: ['publish'] } }), 403, /cannot grant "publish"/);
      expectError(await call(dep().baseUrl, 'POST', '/v1/tokens', { token: publisher.token, body: { scopes: ['admin'] } }), 403, /cannot grant "admin"/);
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

    it('gives a namespace token no rights in a namespace its owner does not own', async () => {
      const alice = await makeToken(dep, { scopes: ['publish'], owner: 'alice-ns' });
      // bobcorp is nobody's yet, so alice may name it; naming it must not make its packages hers.
      const aliceInBobcorp = await makeToken(dep, { scopes: ['publish'], namespace: 'bobcorp' }, alice.token);
      const bob = await makeToken(dep, { scopes: ['publish'], owner: 'bob-ns' });
      const body = await buildPackage({ name: 'secret', version: '1.0.0', manifest: { Description: 'bobcorp secret' } });
      const pub = await call(dep().baseUrl, 'PUT', '/v1/packages/bobcorp/secret/1.0.0/x86_64?private=true', { token: bob.token, body });
      expect(pub.status, pub.body.toString()).toBe(201);
      const opts = { token: aliceInBobcorp.token };
      expectError(await call(dep().baseUrl, 'GET', '/v1/packages/bobcorp/secret', opts), 404, /package bobcorp\/secret not found/);
      expectError(await call(dep().baseUrl, 'GET', '/v1/packages/bobcorp/secret/1.0.0/x86_64', opts), 404, /not found/);
      expectError(await call(dep().baseUrl, 'GET', `/v1/blobs/sha256/${pub.json().digest.slice(7)}`, opts), 404, /not found/);
      expect((await call(dep().baseUrl, 'GET', '/v1/packages?q=bobcorp', opts)).json().results).toEqual([]);
      const feed = (await call(dep().baseUrl, 'GET', '/v1/changes?limit=1000', opts)).json();
      expect(feed.changes.some((c: { name: string }) => c.name === 'bobcorp/secret')).toBe(false);
      expect((await call(dep().baseUrl, 'GET', '/v1/packages/bobcorp/secret', { token: bob.token })).status).toBe(200);
    });

    it('refuses an admin token limited to a namespace, and an owner other than the namespace\'s', async () => {
      const before = await dep().snapshot();
      expectError(
        await call(dep().baseUrl, 'POST', '/v1/tokens', { token: dep().adminToken, body: { scopes: ['admin'], namespace: 'admin-ns' } }),
        400,
        /field "namespace": an admin token acts in every namespace/,
        'bad_request',
      );
      expect(await dep().snapshot()).toEqual(before);
      await makeToken(dep, { scopes: ['publish'], namespace: 'owned-ns', owner: 'first' });
      expectError(
        await call(dep().baseUrl, 'POST', '/v1/tokens', { token: dep().adminToken, body: { scopes: ['read'], namespace: 'owned-ns', owner: 'second' } }),
        400,
        /field "owner": namespace "owned-ns" belongs to "first"/,
      );
      const reader = await makeToken(dep, { scopes: ['read'], namespace: 'owned-ns' });
      expect((await call(dep().baseUrl, 'GET', '/v1/whoami', { token: reader.token })).json().owner).toBe('first');
    });

    it('refuses an expiry that Date cannot represent, naming the field', async () => {
      expectError(
        await call(dep().baseUrl, 'POST', '/v1/tokens', { token: dep().adminToken, body: { scopes: ['read'], expiresAt: '2026-12-31T23:59:60Z' } }),
        400,
        /field "expiresAt" \(2026-12-31T23:59:60Z\) is not a date and time this registry can represent/,
        'bad_request',
      );
    });

    it("lists the owner's tokens, and revokes a token together with every token made with it", async () => {
      const parent = await makeToken(dep, { scopes: ['publish', 'read'], owner: 'carol', name: 'parent' });
      const child = await makeToken(dep, { scopes: ['read'], name: 'child' }, parent.token);
      const grandchild = await makeToken(dep, { scopes: ['read'], name: 'grandchild' }, child.token);
      const sibling = await makeToken(dep, { scopes: ['read'], owner: 'carol', name: 'sibling' });

      const list = await call(dep().baseUrl, 'GET', '/v1/tokens', { token: child.token });
      expect(list.status, list.body.toString()).toBe(200);
      const tokens = list.json().tokens as Record<string, unknown>[];
      for (const t of tokens) validateWith(tokenSchema, t, 'token');
      expect(tokens.map((t) => t.name)).toEqual(['parent', 'child', 'grandchild', 'sibling']);
      expect(tokens.every((t) => t.owner === 'carol' && !('token' in t) && !('hash' in t))).toBe(true);
      expect(list.body.toString()).not.toMatch(/uni_/);
      expectError(await call(dep().baseUrl, 'GET', '/v1/tokens'), 401, /needs a token/);

      const del = await call(dep().baseUrl, 'DELETE', `/v1/tokens/${parent.id}`, { token: dep().adminToken });
      expect(del.status).toBe(200);
      expect(del.json().revokedAt).toBeTruthy();
      for (const t of [parent, child, grandchild]) {
        expectError(await call(dep().baseUrl, 'GET', '/v1/whoami', { token: t.token }), 401, new RegExp(`token ${t.id} has been revoked`));
      }
      const after = (await call(dep().baseUrl, 'GET', '/v1/tokens', { token: sibling.token })).json().tokens as { name: string; revokedAt?: string }[];
      expect(after.map((t) => [t.name, t.revokedAt !== undefined])).toEqual([['parent', true], ['child', true], ['grandchild', true], ['sibling', false]]);
    });

    it('lets one of two owners racing into a new namespace have it, and refuses the other', async () => {
      const one = await makeToken(dep, { scopes: ['publish'], owner: 'racer-one' });
      const two = await makeToken(dep, { scopes: ['publish'], owner: 'racer-two' });
      const a = heldPut(dep().baseUrl, '/v1/packages/raced/a/1.0.0/x86_64', one.token, await buildPackage({ name: 'a', version: '1.0.0' }));
      const b = heldPut(dep().baseUrl, '/v1/packages/raced/b/1.0.0/x86_64', two.token, await buildPackage({ name: 'b', version: '1.0.0' }));
      await sleep(500);
      a.send();
      b.send();
      const replies = await Promise.all([a.reply, b.reply]);
      expect(replies.map((r) => r.status).sort(), JSON.stringify(replies)).toEqual([201, 403]);
      const loser = replies.find((r) => r.status === 403)!;
      expect(JSON.parse(loser.body).error.message).toMatch(/namespace "raced" was claimed by another owner while this archive was being received/);
      const results = (await call(dep().baseUrl, 'GET', '/v1/packages?q=raced', { token: dep().adminToken })).json().results as { name: string }[];
      expect(results).toHaveLength(1);
    });

    it('refuses the loser of two first publishes that ask for different visibility', async () => {
      const owner = await makeToken(dep, { scopes: ['publish'], namespace: 'vis-race' });
      const pub = heldPut(dep().baseUrl, '/v1/packages/vis-race/tool/1.0.0/x86_64?private=false', owner.token, await buildPackage({ name: 'tool', version: '1.0.0' }));
      const priv = heldPut(dep().baseUrl, '/v1/packages/vis-race/tool/1.0.1/x86_64?private=true', owner.token, await buildPackage({ name: 'tool', version: '1.0.1' }));
      await sleep(500);
      pub.send();
      priv.send();
      const replies = await Promise.all([pub.reply, priv.reply]);
      expect(replies.map((r) => r.status).sort(), JSON.stringify(replies)).toEqual([201, 409]);
      const doc = (await call(dep().baseUrl, 'GET', '/v1/packages/vis-race/tool', { token: owner.token })).json();
      const winner = replies[0]!.status === 201 ? '1.0.0' : '1.0.1';
      expect(Object.keys(doc.versions)).toEqual([winner]);
      expect(doc.private).toBe(winner === '1.0.1');
      expect(JSON.parse(replies.find((r) => r.status === 409)!.body).error.code).toBe('visibility_conflict');
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
