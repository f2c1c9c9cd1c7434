/**
 * A GET-only FetchFn over node:http(s) with a keep-alive Agent, for `uni mirror sync` on
 * Node. A sync sends thousands of small requests (a package document and one artifact
 * document per version, besides the blobs); Node 20's fetch costs about 0.5 ms of CPU per
 * such request on top of the socket work, this less than half of that. Same contract as fetch
 * for what upstream.ts uses: status, headers, a streamed body, redirects followed (the
 * Authorization header dropped when one leaves the origin, as fetch does), `signal` aborting
 * the request and, after the answer, its body.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { FetchFn } from './config.js';

const MAX_REDIRECTS = 20;
/** Bodies announced at most this large are read whole before answering (one Response, no stream to set up). */
const SMALL_BODY = 64 * 1024;
const NULL_BODY = new Set([101, 204, 205, 304]);

export function nodeFetch(maxSockets = 64): FetchFn {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  };

  const once = (url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.get(url, { agent: agents[url.protocol as 'http:' | 'https:'], headers }, resolve);
      req.on('error', reject);
      if (signal) {
        const abort = (): void => {
          req.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        if (signal.aborted) abort();
        else {
          signal.addEventListener('abort', abort, { once: true });
          req.on('close', () => signal.removeEventListener('abort', abort));
        }
      }
    });

  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (input instanceof Request || (init?.method !== undefined && init.method !== 'GET') || init?.body != null) {
      throw new TypeError('nodeFetch sends GET requests to a URL only');
    }
    let url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`nodeFetch: unsupported protocol ${url.protocol}`);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const signal = init?.signal ?? undefined;
    for (let hops = 0; ; hops++) {
      let m: http.IncomingMessage;
      try {
        m = await once(url, headers, signal);
      } catch (e) {
        throw new TypeError('fetch failed', { cause: e });
      }
      const status = m.statusCode ?? 0;
      const location = m.headers.location;
      if ([301, 302, 303, 307, 308].includes(status) && location !== undefined) {
        m.resume();
        if (hops >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error('too many redirects') });
        const next = new URL(location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new TypeError('fetch failed', { cause: new Error(`redirect to ${next.protocol}`) });
        if (next.origin !== url.origin) delete headers['authorization'];
        url = next;
        continue;
      }
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < m.rawHeaders.length; i += 2) responseHeaders.append(m.rawHeaders[i]!, m.rawHeaders[i + 1]!);
      const answer: ResponseInit = { status, statusText: m.statusMessage ?? '', headers: responseHeaders };
      if (NULL_BODY.has(status)) {
        m.resume();
        return new Response(null, answer);
      }
      const length = Number(m.headers['content-length'] ?? NaN);
      if (length <= SMALL_BODY) {
        const body = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          m.on('data', (chunk: Buffer) => chunks.push(chunk));
          m.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
          m.on('error', (e) => reject(new TypeError('fetch failed', { cause: e })));
          // After 'end' this is a no-op; before it, the answer broke off.
          m.on('close', () => reject(new TypeError('fetch failed', { cause: new Error('the answer broke off') })));
        });
        return new Response(body, answer);
      }
      return new Response(Readable.toWeb(m) as ReadableStream<Uint8Array>, answer);
    }
  };
  return fetchFn as FetchFn;
}
