/**
 * The two pieces `uni mirror sync` saves time with: group commit (several packages' metadata
 * in one transaction, each caller told only once its own statements are in) and the
 * node:http FetchFn (same answers as fetch for what upstream.ts asks).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupCommit } from '../../server/mirror/group-commit.js';
import { nodeFetch } from '../../server/mirror/node-fetch.js';
import type { Db, SqlStatement } from '../../server/ports.js';

function fakeDb(): { db: Db; batches: string[][] } {
  const batches: string[][] = [];
  const db = {
    async batch(list: SqlStatement[]) {
      if (list.some((s) => s.sql === 'FAIL')) throw new Error('constraint failed');
      batches.push(list.map((s) => s.sql));
      return list.map(() => ({ changes: 1 }));
    },
  } as unknown as Db;
  return { db, batches };
}

describe('groupCommit', () => {
  it('puts what is queued together into one batch, in order, and settles each caller after it', async () => {
    const { db, batches } = fakeDb();
    const commit = groupCommit(db, 5);
    await Promise.all([commit([{ sql: 'a1', params: [] }, { sql: 'a2', params: [] }]), commit([{ sql: 'b', params: [] }]), commit([{ sql: 'c', params: [] }])]);
    expect(batches).toEqual([['a1', 'a2', 'b', 'c']]);
    await commit([{ sql: 'd', params: [] }]);
    expect(batches).toEqual([['a1', 'a2', 'b', 'c'], ['d']]);
  });

  it('fails only the entry whose statements fail; the others are committed on their own', async () => {
    const { db, batches } = fakeDb();
    const commit = groupCommit(db, 5);
    const results = await Promise.allSettled([commit([{ sql: 'a', params: [] }]), commit([{ sql: 'FAIL', params: [] }]), commit([{ sql: 'c', params: [] }])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([['a'], ['c']]);
  });

  it('starts a batch at once when enough entries wait', async () => {
    const { db, batches } = fakeDb();
    const commit = groupCommit(db, 60_000, 2);
    await Promise.all([commit([{ sql: 'a', params: [] }]), commit([{ sql: 'b', params: [] }])]);
    expect(batches).toEqual([['a', 'b']]);
  });
});

describe('nodeFetch', () => {
  const big = Buffer.alloc(300 * 1024, 7);
  let server: Server;
  let other: Server;
  let base = '';
  let otherBase = '';
  const seen: IncomingMessage[] = [];
  const listen = (s: Server): Promise<string> => new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));

  beforeAll(async () => {
    other = createServer((req, res) => {
      seen.push(req);
      res.end('elsewhere');
    });
    server = createServer((req, res) => {
      seen.push(req);
      if (req.url === '/json') res.writeHead(200, { etag: '"x"', 'content-type': 'application/json' }).end('{"a":1}');
      else if (req.url === '/big') res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      else if (req.url === '/chunked') {
        res.write('abc');
        res.end('def');
      } else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end();
      else if (req.url === '/here') res.writeHead(302, { location: '/json' }).end();
      else if (req.url === '/away') res.writeHead(302, { location: `${otherBase}/blob` }).end();
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 2_000);
      else res.writeHead(404).end('{"error":"not_found"}');
    });
    base = await listen(server);
    otherBase = await listen(other);
  });
  afterAll(() => {
    server.closeAllConnections();
    other.closeAllConnections();
    server.close();
    other.close();
  });

  it('answers status, headers and body as fetch does, small, large and chunked', async () => {
    const f = nodeFetch();
    const json = await f(`${base}/json`, { headers: { 'x-test': '1' } });
    expect(json.status).toBe(200);
    expect(json.headers.get('etag')).toBe('"x"');
    expect(await json.json()).toEqual({ a: 1 });
    expect(seen.at(-1)!.headers['x-test']).toBe('1');
    const large = await f(`${base}/big`);
    expect(Buffer.from(await large.arrayBuffer()).equals(big)).toBe(true);
    expect(await (await f(`${base}/chunked`)).text()).toBe('abcdef');
    const missing = await f(`${base}/nothing`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
    const notModified = await f(`${base}/304`, { headers: { 'if-none-match': '"x"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
  });

  it('follows redirects, keeping Authorization within the origin and dropping it outside', async () => {
    const f = nodeFetch();
    const here = await f(`${base}/here`, { headers: { authorization: 'Bearer secret' } });
    expect(await here.json()).toEqual({ a: 1 });
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer secret');
    const away = await f(`${base}/away`, { headers: { authorization: 'Bearer secret' } });
    expect(await away.text()).toBe('elsewhere');
    expect(seen.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('fails like fetch on an abort and on a refused connection', async () => {
    const f = nodeFetch();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('no answer within 50 ms')), 50);
    await expect(f(`${base}/slow`, { signal: controller.signal })).rejects.toMatchObject({ cause: { message: 'no answer within 50 ms' } });
    await expect(f('http://127.0.0.1:1/')).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
