/** A small HTTP client for tests: JSON in and out, bearer tokens, error-shape checks. */
import { type Agent, request } from 'node:http';
import { expect } from 'vitest';
import { validateWith } from '../../protocol/validate.js';
import errorSchema from '../../protocol/error.schema.json' with { type: 'json' };

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = any>(): T;
}

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: Buffer | string | object;
}

export async function call(baseUrl: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  let body: BodyInit | undefined;
  if (Buffer.isBuffer(opts.body)) body = new Uint8Array(opts.body);
  else if (typeof opts.body === 'string') body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const buf = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body: buf,
    json: () => JSON.parse(buf.toString('utf8')),
  };
}

/** Asserts an error answer: its status, the documented shape, and words of its message. */
export function expectError(reply: Reply, status: number, message: RegExp, code?: string): void {
  const text = reply.body.toString('utf8');
  expect(reply.status, text).toBe(status);
  const doc = validateWith<{ error: { code: string; message: string } }>(errorSchema, JSON.parse(text), 'error');
  expect(doc.error.message).toMatch(message);
  if (code !== undefined) expect(doc.error.code).toBe(code);
}

/**
 * A PUT that declares a Content-Length larger than what it sends: fetch cannot lie about the
 * length, so this goes through node:http. Resolves with the status once the server answers.
 */
export function putDeclaringLength(baseUrl: string, path: string, token: string | undefined, declared: number, sent: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(baseUrl + path, {
      method: 'PUT',
      headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), 'content-length': String(declared) },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.write(sent);
  });
}

/** One request on a given node:http agent, telling whether it went out on a kept-alive socket. */
export function sendOn(
  agent: Agent,
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(baseUrl + path, { method, agent, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A PUT whose headers go at once and whose body waits for `send`: the registry checks the
 * request before reading the body, so two of these are both checked before either commits.
 */
export function heldPut(baseUrl: string, path: string, token: string, body: Buffer): { send(): void; reply: Promise<{ status: number; body: string }> } {
  const req = request(baseUrl + path, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length) } });
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { send: () => req.end(body), reply };
}
