import http from 'node:http';
import type https from 'node:https';
import type { Readable } from 'node:stream';
import { UniError } from '../../protocol/errors.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A fresh body for each attempt, so that a retried upload sends it whole again. */
  body?: () => Buffer | Readable;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** First backoff; doubled each attempt, with jitter. */
  baseDelayMs: number;
  /** Cap on one wait, including a server's Retry-After. */
  maxDelayMs: number;
}

export interface HttpOptions {
  /** No response headers, or no body bytes, for this long fails the attempt. */
  timeoutMs: number;
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_HTTP: HttpOptions = {
  timeoutMs: 30_000,
  retry: { retries: 4, baseDelayMs: 200, maxDelayMs: 30_000 },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

interface Transport {
  request: typeof http.request;
  agent: http.Agent;
}

// Keep-alive: resolution asks for many documents, and a warm get should reuse one socket.
const plain: Transport = { request: http.request, agent: new http.Agent({ keepAlive: true }) };
let secure: Transport | null = null;

/** TLS is loaded on the first https request only: a loopback or plain-http registry never pays for it. */
async function transportFor(url: URL): Promise<Transport> {
  if (url.protocol !== 'https:') return plain;
  if (!secure) {
    const mod: typeof https = await import('node:https');
    secure = { request: mod.request, agent: new mod.Agent({ keepAlive: true }) };
  }
  return secure;
}

/** One attempt. The body is left unread; the idle timeout keeps guarding it while it streams. */
async function requestOnce(req: HttpRequest, timeoutMs: number): Promise<HttpResponse> {
  const url = new URL(req.url);
  const transport = await transportFor(url);
  return new Promise((resolve, reject) => {
    const body = req.body?.();
    const r = transport.request(
      url,
      { method: req.method, headers: req.headers, agent: transport.agent },
      (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    r.setTimeout(timeoutMs, () => r.destroy(new NetworkError(`no answer from ${url.host} within ${timeoutMs / 1000}s`)));
    r.on('error', (e) => reject(e instanceof NetworkError ? e : new NetworkError(describeNetError(e, url))));
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
}

/** A failure to talk to the registry at all (refused, reset, timed out): worth a retry, or a cache fallback. */
export class NetworkError extends UniError {
  constructor(message: string) {
    super('network', message, 503);
  }
}

export function isNetworkError(e: unknown): e is NetworkError {
  return e instanceof NetworkError;
}

function describeNetError(e: Error, url: URL): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `cannot connect to the registry at ${url.origin} (connection refused)`;
  if (code === 'ENOTFOUND') return `cannot resolve the registry host ${url.hostname}`;
  return `network error talking to ${url.origin}: ${code ?? e.message}`;
}

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function retryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * Retries connection failures, 5xx, 408 and 429 with exponential backoff, honouring
 * Retry-After; a 502 with Retry-After (a mirror whose upstream is in back-off) is returned
 * at once. Other answers (including 4xx) are returned for the caller to read.
 */
export async function requestWithRetry(req: HttpRequest, opts: HttpOptions): Promise<HttpResponse> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= opts.retry.retries; attempt++) {
    let wait = Math.min(opts.retry.maxDelayMs, opts.retry.baseDelayMs * 2 ** attempt * (0.75 + Math.random() / 2));
    try {
      const res = await requestOnce(req, opts.timeoutMs);
      // A mirror's 502 with Retry-After: its upstream is in back-off, and asking again sooner gets the same answer.
      const backingOff = res.status === 502 && res.headers['retry-after'] !== undefined;
      if (!retryable(res.status) || backingOff || attempt === opts.retry.retries) return res;
      res.body.resume();
      const after = parseRetryAfter(res.headers['retry-after'] as string | undefined, Date.now());
      if (after !== null) wait = Math.min(opts.retry.maxDelayMs, after);
      lastError = undefined;
    } catch (e) {
      if (!isNetworkError(e)) throw e;
      lastError = e;
      if (attempt === opts.retry.retries) break;
    }
    await opts.sleep(wait);
  }
  throw lastError;
}

export async function readBody(res: HttpResponse, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.body.destroy();
      throw new UniError('too_large', `the registry's answer is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
