/**
 * Web sessions against a registry on a real loopback socket with a clock the test moves: what the
 * cookie and the database hold, Secure behind an https proxy, and an end no later than the token's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../server/auth/tokens.js';
import { serverConfig } from '../../server/config.js';
import { listen, openNodeRegistry, type Listening } from '../../server/node.js';
import { call } from '../helpers/http.js';

const ADMIN = 'session-admin-token-0123456789';

describe('web sessions', () => {
  let dataDir = '';
  let server: Listening | undefined;
  let now = new Date('2026-06-01T12:00:00Z');
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uni-web-session-'));
    const registry = await openNodeRegistry({ dataDir, adminToken: ADMIN, clock: { now: () => now }, config: serverConfig({ log: () => undefined }) });
    server = await listen(registry, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const login = (token: string, headers: Record<string, string> = {}) =>
    fetch(`${server!.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ token, next: '/' }) });

  it('behind an https proxy the cookie is Secure; the database keeps the hash of its id and the token id, never a secret', async () => {
    const r = await login(ADMIN, { 'x-forwarded-proto': 'https', origin: `https://${new URL(server!.url).host}` });
    expect(r.status).toBe(303);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^uni_session=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const id = /^uni_session=([^;]+)/.exec(cookie)![1]!;
    const db = new Database(join(dataDir, 'registry.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM web_sessions').all() as Record<string, string>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]!['id_hash']).toBe(hashToken(id));
      const admin = db.prepare('SELECT id FROM tokens WHERE hash = ?').get(hashToken(ADMIN)) as { id: string };
      expect(rows[0]!['token_id']).toBe(admin.id);
      expect(JSON.stringify(rows)).not.toContain(ADMIN);
      expect(JSON.stringify(rows)).not.toContain(id);
    } finally {
      db.close();
    }
  });

  it('a session ends when its token expires, though its own week has not passed', async () => {
    const made = await call(server!.url, 'POST', '/v1/tokens', { token: ADMIN, body: { scopes: ['read'], expiresAt: '2026-06-01T13:00:00Z' } });
    expect(made.status, made.body.toString()).toBe(201);
    const r = await login(made.json<{ token: string }>().token);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toContain('Max-Age=3600;');
    expect(cookie).not.toContain('Secure');
    const session = cookie.split(';')[0]!;
    const home = () => fetch(`${server!.url}/`, { headers: { cookie: session } }).then((res) => res.text());
    expect(await home()).toContain('Sign out');
    now = new Date('2026-06-01T13:00:01Z');
    expect(await home()).toContain('>Sign in</a>');
  });

  it('a sign-in posted from another site, or without a form body, is refused and opens nothing', async () => {
    const cross = await login(ADMIN, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    expect(await cross.text()).toContain('a form from https://evil.example may not change anything here');
    const json = await fetch(`${server!.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN }) });
    expect(json.status).toBe(400);
    expect(await json.text()).toContain('send the form as application/x-www-form-urlencoded, as a browser does');
    const big = await login('x'.repeat(20_000));
    expect(big.status).toBe(413);
  });
});
