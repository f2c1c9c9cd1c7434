/**
 * A tiny real HTTP server that answers the registry's read routes from data in memory, with
 * switches for the failures the client must survive (5xx with Retry-After, a connection cut
 * mid-body, wrong bytes). The real registry is used by the end-to-end tests; this one lets the
 * client's own tests provoke what a healthy registry never does.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StaticPackage {
  name: string;
  version: string;
  archive: Buffer;
  dependencies?: Record<string, string>;
  yanked?: boolean;
  arch?: 'x86_64' | 'aarch64';
}

export interface StaticRegistry {
  url: string;
  /** `requests` counts every request, whatever it asked for and whatever the answer. */
  hits: { requests: number; docs: number; notModified: number; blobs: number; ranges: string[] };
  /** Blob requests that answer 503 (with Retry-After: 0) before one succeeds. */
  fail503: number;
  /** Package document requests that answer 500 before one succeeds. */
  failDocs: number;
  /** Blob requests cut after this many bytes. */
  cutAfter: { bytes: number; times: number };
  /** Serve these bytes instead of the real archive. */
  replaceBlob?: Buffer;
  add(pkg: StaticPackage): string;
  close(): Promise<void>;
}

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function startStaticRegistry(): Promise<StaticRegistry> {
  const docs = new Map<string, { versions: Record<string, unknown> }>();
  const blobs = new Map<string, Buffer>();
  const reg: StaticRegistry = {
    url: '',
    hits: { requests: 0, docs: 0, notModified: 0, blobs: 0, ranges: [] },
    fail503: 0,
    failDocs: 0,
    cutAfter: { bytes: 0, times: 0 },
    add(pkg) {
      const full = pkg.name.includes('/') ? pkg.name : `library/${pkg.name}`;
      const digest = digestOf(pkg.archive);
      blobs.set(digest.slice(7), pkg.archive);
      const doc = docs.get(full) ?? { versions: {} };
      doc.versions[pkg.version] = {
        dependencies: pkg.dependencies ?? {},
        yanked: pkg.yanked ?? false,
        publishedAt: new Date(0).toISOString(),
        artifacts: { [pkg.arch ?? 'x86_64']: { digest, size: pkg.archive.length } },
      };
      docs.set(full, doc);
      return digest;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    reg.hits.requests++;
    const url = new URL(req.url!, 'http://x');
    const doc = /^\/v1\/packages\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (doc) {
      const full = `${doc[1]}/${doc[2]}`;
      const d = docs.get(full);
      if (!d) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: `package ${full} not found` } }));
        return;
      }
      if (reg.failDocs > 0) {
        reg.failDocs--;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal","message":"registry down"}}');
        return;
      }
      const body = JSON.stringify({ name: full, namespace: doc[1], private: false, ...d });
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      reg.hits.docs++;
      if (req.headers['if-none-match'] === etag) {
        reg.hits.notModified++;
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(body);
      return;
    }
    const blob = /^\/v1\/blobs\/sha256\/([0-9a-f]{64})$/.exec(url.pathname);
    if (blob && blobs.has(blob[1]!)) {
      reg.hits.blobs++;
      if (reg.fail503 > 0) {
        reg.fail503--;
        res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"error":{"code":"busy","message":"busy"}}');
        return;
      }
      const bytes = reg.replaceBlob ?? blobs.get(blob[1]!)!;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      if (range) reg.hits.ranges.push(req.headers.range!);
      const body = bytes.subarray(start);
      res.writeHead(range ? 206 : 200, { 'content-type': 'application/gzip', 'content-length': String(body.length) });
      if (reg.cutAfter.times > 0) {
        reg.cutAfter.times--;
        res.write(body.subarray(0, reg.cutAfter.bytes), () => res.destroy());
        return;
      }
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"no such route"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  reg.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return reg;
}
