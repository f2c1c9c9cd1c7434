/**
 * Fault class: a publish that fails after its blob was committed (namespace, visibility and
 * unique-key races, a manifest too deep to store). The refused request's blob is deleted in the
 * same request, unless another artifact references it or a concurrent publish of the same
 * bytes holds it; the winner's blob always stays and serves.
 */
import { expect, it } from 'vitest';
import { call, expectError, heldPut } from '../helpers/http.js';
import { buildPackage, gzipTar, packageEntries } from '../helpers/archive.js';
import { makeToken } from '../api/suite-auth.js';
import { blobDigests, EVERY_DEPLOYMENT, onDeployments, snapshotOf } from './deployments.js';
import { digestOf } from '../blobstore/contract.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two PUTs checked by the registry before either body is sent, then sent together. */
async function race(baseUrl: string, puts: { path: string; token: string; body: Buffer }[]) {
  const held = puts.map((p) => heldPut(baseUrl, p.path, p.token, p.body));
  await sleep(500);
  for (const h of held) h.send();
  return Promise.all(held.map((h) => h.reply));
}

/** A manifest whose ManifestPassthrough is nested `depth` levels: written by hand, since JSON.stringify cannot. */
async function deepManifestPackage(name: string, depth: number): Promise<Buffer> {
  const entries = packageEntries({ name, version: '1.0.0' });
  const manifest = entries.find((e) => e.name.endsWith('/package.manifest'))!;
  const head = `{"Name":"${name}","Version":"1.0.0","Program":"/usr/bin/true","Args":["true"],"ManifestPassthrough":`;
  manifest.content = `${head}${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
  return gzipTar(entries);
}

onDeployments(EVERY_DEPLOYMENT, (dep, name) => {
  it('namespace race with other bytes: the loser gets 403 and its blob is gone', async () => {
    const one = await makeToken(dep, { scopes: ['publish'], owner: 'orphan-one' });
    const two = await makeToken(dep, { scopes: ['publish'], owner: 'orphan-two' });
    const bodies = [await buildPackage({ name: 'a', version: '1.0.0' }), await buildPackage({ name: 'b', version: '1.0.0' })];
    const before = await snapshotOf(dep());
    const replies = await race(dep().baseUrl, [
      { path: '/v1/packages/orphan-ns/a/1.0.0/x86_64', token: one.token, body: bodies[0]! },
      { path: '/v1/packages/orphan-ns/b/1.0.0/x86_64', token: two.token, body: bodies[1]! },
    ]);
    expect(replies.map((r) => r.status).sort(), JSON.stringify(replies)).toEqual([201, 403]);
    const lost = replies.findIndex((r) => r.status === 403);
    expect(JSON.parse(replies[lost]!.body).error).toMatchObject({
      code: 'forbidden',
      message: 'namespace "orphan-ns" was claimed by another owner while this archive was being received',
    });
    const after = await snapshotOf(dep());
    expect(blobDigests(after)).toEqual([...blobDigests(before), digestOf(bodies[1 - lost]!)].sort());
    expect(after.blobs.filter((k) => k.includes('tmp/'))).toEqual([]);
    expect(after.rows['blob_claims'] ?? []).toEqual([]);
  });

  it('namespace race with the same bytes: the loser gets 403 and the winner keeps the blob', async () => {
    const one = await makeToken(dep, { scopes: ['publish'], owner: 'same-one' });
    const two = await makeToken(dep, { scopes: ['publish'], owner: 'same-two' });
    const body = await buildPackage({ name: 'twin', version: '1.0.0' });
    const before = await snapshotOf(dep());
    const replies = await race(dep().baseUrl, [
      { path: '/v1/packages/same-ns/twin/1.0.0/x86_64', token: one.token, body },
      { path: '/v1/packages/same-ns/twin/1.0.0/x86_64', token: two.token, body },
    ]);
    // The loser is refused (403), or finds the same bytes already published and changes nothing (200).
    const statuses = replies.map((r) => r.status).sort();
    expect([[201, 403], [200, 201]], JSON.stringify(replies)).toContainEqual(statuses);
    const after = await snapshotOf(dep());
    expect(after.rows['artifacts']!.length).toBe(before.rows['artifacts']!.length + 1);
    expect(blobDigests(after)).toEqual([...new Set([...blobDigests(before), digestOf(body)])].sort());
    const blob = await call(dep().baseUrl, 'GET', `/v1/blobs/sha256/${digestOf(body).slice(7)}`);
    expect(blob.status).toBe(200);
    expect(blob.body.equals(body)).toBe(true);
  });

  it('visibility race: the loser gets 409 visibility_conflict and its blob is gone', async () => {
    const owner = await makeToken(dep, { scopes: ['publish'], namespace: 'orphan-vis' });
    const bodies = [await buildPackage({ name: 'tool', version: '1.0.0' }), await buildPackage({ name: 'tool', version: '1.0.1' })];
    const before = await snapshotOf(dep());
    const replies = await race(dep().baseUrl, [
      { path: '/v1/packages/orphan-vis/tool/1.0.0/x86_64?private=false', token: owner.token, body: bodies[0]! },
      { path: '/v1/packages/orphan-vis/tool/1.0.1/x86_64?private=true', token: owner.token, body: bodies[1]! },
    ]);
    expect(replies.map((r) => r.status).sort(), JSON.stringify(replies)).toEqual([201, 409]);
    const lost = replies.findIndex((r) => r.status === 409);
    expect(JSON.parse(replies[lost]!.body).error.message).toMatch(/^package orphan-vis\/tool is (private|public); visibility is set by its first publish$/);
    expect(blobDigests(await snapshotOf(dep()))).toEqual([...blobDigests(before), digestOf(bodies[1 - lost]!)].sort());
  });

  it('unique-key race with other bytes: the loser gets 409 conflict and its blob is gone', async () => {
    const bodies = [await buildPackage({ name: 'uk', version: '1.0.0', readme: 'one' }), await buildPackage({ name: 'uk', version: '1.0.0', readme: 'two' })];
    const before = await snapshotOf(dep());
    const replies = await race(
      dep().baseUrl,
      bodies.map((body) => ({ path: '/v1/packages/library/uk/1.0.0/x86_64', token: dep().adminToken, body })),
    );
    expect(replies.map((r) => r.status).sort(), JSON.stringify(replies)).toEqual([201, 409]);
    const lost = replies.findIndex((r) => r.status === 409);
    expect(JSON.parse(replies[lost]!.body).error.message).toMatch(/^library\/uk@1\.0\.0 for x86_64 is already published with different bytes/);
    expect(blobDigests(await snapshotOf(dep()))).toEqual([...blobDigests(before), digestOf(bodies[1 - lost]!)].sort());
  });

  // Before the depth bound, Node's JSON.stringify overflowed after the commit (500 + orphan).
  it('a manifest nested 100,000 deep: refused with 400, nothing stored', async () => {
    const body = await deepManifestPackage('deep', 100_000);
    const before = await snapshotOf(dep());
    const reply = await call(dep().baseUrl, 'PUT', '/v1/packages/library/deep/1.0.0/x86_64', { token: dep().adminToken, body });
    expectError(reply, 400, /nested|deep/i, 'invalid_manifest');
    expect(await snapshotOf(dep())).toEqual(before);
  });
});
