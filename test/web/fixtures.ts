/**
 * What the browser tests browse: a small graph of real packages (glibc ← openssl ← redis), one
 * whose dependencies do not resolve, a private package of another owner, and strings from a
 * publisher that must show as text: <script>, quotes and unicode in the description, the
 * manifest's Args and Env, file paths and a link target.
 */
import { expect } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';

export const XSS = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
export const QUOTES = `"double" & 'single'`;
export const UNICODE = 'ünïcödé 文件 🚀';

export interface Fixtures {
  /** A publish-scoped token of the owner of the namespace `acme`. */
  acmeToken: string;
}

export async function publish(baseUrl: string, token: string, ns: string, name: string, version: string, manifest: Record<string, unknown>, opts: { private?: boolean; extra?: Parameters<typeof buildPackage>[0]['extra'] } = {}): Promise<void> {
  const body = await buildPackage({ name, version, manifest, ...(opts.extra ? { extra: opts.extra } : {}) });
  const r = await call(baseUrl, 'PUT', `/v1/packages/${ns}/${name}/${version}/x86_64${opts.private ? '?private=true' : ''}`, { token, body });
  expect(r.status, r.body.toString()).toBe(201);
}

export async function publishFixtures(baseUrl: string, admin: string): Promise<Fixtures> {
  await publish(baseUrl, admin, 'library', 'glibc', '2.36.0', { Description: 'the GNU C library' });
  await publish(baseUrl, admin, 'library', 'glibc', '2.37.1', { Description: 'the GNU C library' });
  await publish(baseUrl, admin, 'library', 'openssl', '3.0.2', { Description: 'TLS and crypto', Dependencies: { 'library/glibc': '^2.36' } });
  await publish(baseUrl, admin, 'library', 'redis', '7.2.4', {
    Description: `in-memory store ${XSS} ${QUOTES} ${UNICODE}`,
    Dependencies: { 'library/glibc': '^2.36', 'library/openssl': '^3' },
    Args: ['redis-server', XSS],
    Env: { GREETING: QUOTES, PAYLOAD: XSS },
    Homepage: 'javascript:window.__pwned=3',
  }, {
    extra: [
      { name: `redis_7.2.4/sysroot/etc/${XSS.replace(/\//g, '_')}.conf`, content: 'x' },
      { name: `redis_7.2.4/sysroot/etc/${QUOTES}.txt`, content: 'quoted' },
      { name: `redis_7.2.4/sysroot/etc/${UNICODE}.txt`, content: 'unicode' },
      { name: 'redis_7.2.4/sysroot/etc/payload-link', type: 'symlink', linkname: `${XSS.replace(/\//g, '_')}.conf` },
    ],
  });
  // Needs a glibc that does not exist: the version page explains why it does not resolve.
  await publish(baseUrl, admin, 'library', 'legacy', '1.0.0', { Description: 'needs an old libc', Dependencies: { 'library/glibc': '^1.0' } });
  const made = await call(baseUrl, 'POST', '/v1/tokens', { token: admin, body: { scopes: ['publish'], namespace: 'acme', name: 'web tests' } });
  expect(made.status, made.body.toString()).toBe(201);
  const acmeToken = made.json<{ token: string }>().token;
  await publish(baseUrl, acmeToken, 'acme', 'secret-app', '1.0.0', { Description: 'acme internal service' }, { private: true });
  return { acmeToken };
}
