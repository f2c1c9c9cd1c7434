import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../client/registry/client.js';
import { parseRetryAfter, requestWithRetry, type HttpOptions } from '../../client/registry/http.js';

let server: http.Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function policy(waits: number[], timeoutMs = 5_000): HttpOptions {
  return {
    timeoutMs,
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 10_000 },
    sleep: async (ms) => void waits.push(ms),
  };
}

describe('http', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('waits what Retry-After says on a 429/503, then returns the answer', async () => {
    let n = 0;
    const url = await serve((_req, res) => {
      n++;
      if (n === 1) res.writeHead(429, { 'retry-after': '2' }).end();
      else if (n === 2) res.writeHead(503, { 'retry-after': '1' }).end();
      else res.writeHead(200).end('ok');
    });
    const waits: number[] = [];
    const res = await requestWithRetry({ method: 'GET', url }, policy(waits));
    expect(res.status).toBe(200);
    expect(waits).toEqual([2000, 1000]);
  });

  it('backs off exponentially on 5xx and gives the last answer when retries run out', async () => {
    const url = await serve((_req, res) => res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"code":"bad_gateway","message":"upstream is down"}}'));
    const waits: number[] = [];
    const client = new RegistryClient({ baseUrl: url, http: policy(waits) });
    await expect(client.whoami()).rejects.toThrow('whoami: upstream is down');
    expect(waits).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(waits[i]).toBeGreaterThanOrEqual(100 * 2 ** i * 0.75);
      expect(waits[i]).toBeLessThanOrEqual(100 * 2 ** i * 1.25);
    }
  });

  it("returns a mirror's 502 with Retry-After at once: its upstream is in back-off", async () => {
    let n = 0;
    const url = await serve((_req, res) => {
      n++;
      res.writeHead(502, { 'retry-after': '25', 'content-type': 'application/json' }).end('{"error":{"code":"upstream_unavailable","message":"upstream down"}}');
    });
    const waits: number[] = [];
    const res = await requestWithRetry({ method: 'GET', url }, policy(waits));
    expect(res.status).toBe(502);
    res.body.resume();
    expect(n).toBe(1);
    expect(waits).toEqual([]);
  });

  it('fails a registry that never answers with a timeout naming the host', async () => {
    const url = await serve(() => {});
    const waits: number[] = [];
    await expect(requestWithRetry({ method: 'GET', url }, { ...policy(waits, 100), retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } })).rejects.toThrow(
      `no answer from ${new URL(url).host} within 0.1s`,
    );
    expect(waits).toHaveLength(1);
  });

  it('does not retry a 4xx', async () => {
    let n = 0;
    const url = await serve((_req, res) => {
      n++;
      res.writeHead(404).end();
    });
    const res = await requestWithRetry({ method: 'GET', url }, policy([]));
    expect(res.status).toBe(404);
    expect(n).toBe(1);
  });
});
