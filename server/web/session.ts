/**
 * Browser sign-in. The login form takes a token; the registry checks it as the API does, then
 * opens a session: a random id in an HttpOnly, SameSite=Strict cookie (Secure over https),
 * of which only the sha256 is stored (migrations/0007_web.sql). The session acts as that
 * token, checked again on every request, so revoking the token signs the browser out.
 * Forms that change something carry the session's CSRF value, and a cross-site Origin is refused.
 * The API never reads this cookie: it takes tokens only from the Authorization header.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { UniError } from '../../protocol/errors.js';
import { authenticate, usableNow, type Principal } from '../auth/access.js';
import { hashToken, randomSecret, sameHash } from '../auth/tokens.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { deleteExpiredSessions, deleteSession, findSession, insertSession } from '../store/sessions.js';
import { findTokenById } from '../store/tokens.js';

export const SESSION_COOKIE = 'uni_session';
/** A browser stays signed in this long at most, and never past its token's expiry. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export type Viewer =
  | { principal: Principal | null; session: null }
  | { principal: Principal; session: { csrf: string; idHash: string } };

function isHttps(c: Context<AppEnv>): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/** Who is looking: a bearer token (as the API takes it), else a live session, else nobody. */
export async function viewerOf(deps: AppDeps, c: Context<AppEnv>): Promise<Viewer> {
  const bearer = c.get('principal');
  if (bearer !== null) return { principal: bearer, session: null };
  const id = getCookie(c, SESSION_COOKIE);
  if (id === undefined || id === '') return { principal: null, session: null };
  const idHash = hashToken(id);
  const session = await findSession(deps.db, idHash);
  const token = session && Date.parse(session.expiresAt) > deps.clock.now().getTime() ? await findTokenById(deps.db, session.tokenId) : undefined;
  let principal: Principal | null = null;
  try {
    principal = token ? usableNow(token, deps.clock) : null;
  } catch {
    // A revoked or expired token ends its sessions; the reader is anonymous again.
  }
  if (session === undefined || principal === null) {
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
    return { principal: null, session: null };
  }
  return { principal, session: { csrf: session.csrf, idHash } };
}

/** Checks the token as the API would (401 with the API's message), then opens a session for it. */
export async function openSession(deps: AppDeps, c: Context<AppEnv>, token: string): Promise<void> {
  if (!/^\S+$/.test(token)) throw new UniError('unauthorized', 'paste the whole token, without spaces', 401);
  const principal = (await authenticate(deps.db, deps.clock, `Bearer ${token}`))!;
  const now = deps.clock.now();
  const ttlEnd = now.getTime() + SESSION_TTL_MS;
  const end = principal.expiresAt !== null ? Math.min(ttlEnd, Date.parse(principal.expiresAt)) : ttlEnd;
  const id = randomSecret();
  await deleteExpiredSessions(deps.db, now.toISOString());
  await insertSession(deps.db, hashToken(id), principal.id, randomSecret(), now.toISOString(), new Date(end).toISOString());
  setCookie(c, SESSION_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    maxAge: Math.floor((end - now.getTime()) / 1000),
  });
}

export async function closeSession(deps: AppDeps, c: Context<AppEnv>, viewer: Viewer): Promise<void> {
  if (viewer.session !== null) await deleteSession(deps.db, viewer.session.idHash);
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
}

/**
 * A form that changes something must come from this site (Origin, when the browser sends it)
 * and carry the session's CSRF value; SameSite=Strict already keeps the cookie off other sites' requests.
 */
export function checkCsrf(c: Context<AppEnv>, viewer: Viewer, presented: unknown): void {
  checkOrigin(c);
  if (viewer.session === null) throw new UniError('unauthorized', 'sign in first: your session has ended', 401);
  if (typeof presented !== 'string' || !sameHash(hashToken(viewer.session.csrf), hashToken(presented))) {
    throw new UniError('forbidden', 'the form is out of date (its CSRF value does not match your session): reload the page and try again', 403);
  }
}

/** Refuses a form posted from another site (when the browser says where it came from). */
export function checkOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header('origin');
  if (origin === undefined || origin === new URL(c.req.url).origin) return;
  // Behind a proxy that ends TLS, the app sees http:// while the browser saw https://.
  if (isHttps(c) && origin === `https://${c.req.header('host')}`) return;
  throw new UniError('forbidden', `a form from ${origin} may not change anything here`, 403);
}
