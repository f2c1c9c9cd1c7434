/**
 * Who may do what. A token carries scopes, an owner and optionally a namespace:
 * - admin: everything, including the `library` namespace and tokens for anyone;
 * - publish: publish and yank in a namespace the token's owner owns (or claims by publishing
 *   first), and only in the token's namespace when it names one; implies read there;
 * - read: read the private packages of those same namespaces.
 * Naming a namespace narrows a token, it never grants one: the owner must own it. A
 * namespace that holds packages but has no owner (filled by `uni mirror sync`) is the admins'.
 * Public packages need no token at all.
 */
import { DEFAULT_NAMESPACE } from '../../protocol/names.js';
import { UniError } from '../../protocol/errors.js';
import type { Clock, Db } from '../ports.js';
import { findNamespace, namespaceHasPackages } from '../store/namespaces.js';
import { findTokenByHash, type TokenRecord } from '../store/tokens.js';
import type { ReadReach } from '../store/visibility.js';
import { hashToken, sameHash, type Scope } from './tokens.js';

export type Principal = TokenRecord;

export function isAdmin(p: Principal | null): boolean {
  return p !== null && p.scopes.includes('admin');
}

/** Reads `Authorization: Bearer <token>`; null without one, 401 for a token that is not valid now. */
export async function authenticate(db: Db, clock: Clock, authorization: string | undefined): Promise<Principal | null> {
  if (authorization === undefined || authorization === '') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw new UniError('unauthorized', 'the Authorization header must be "Bearer <token>"', 401);
  const presented = hashToken(m[1]!);
  const token = await findTokenByHash(db, presented);
  if (!token || !sameHash(token.hash, presented)) throw new UniError('unauthorized', 'the token is not known to this registry', 401);
  return usableNow(token, clock);
}

/** The token itself, or 401 when it has been revoked or has expired by now. */
export function usableNow(token: TokenRecord, clock: Clock): Principal {
  if (token.revokedAt !== null) throw new UniError('unauthorized', `the token ${token.id} has been revoked`, 401);
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= clock.now().getTime()) {
    throw new UniError('unauthorized', `the token ${token.id} expired at ${token.expiresAt}`, 401);
  }
  return token;
}

export function requireToken(p: Principal | null, action: string): Principal {
  if (p === null) throw new UniError('unauthorized', `${action} needs a token: send "Authorization: Bearer <token>"`, 401);
  return p;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes('admin') || p.scopes.includes(scope) || (scope === 'read' && p.scopes.includes('publish'));
}

/**
 * Whether `p` may see the private packages of `namespace`: its owner must own the namespace,
 * even when the token names it (naming a namespace narrows a token, it never grants one).
 */
export async function canReadPrivate(db: Db, p: Principal | null, namespace: string): Promise<boolean> {
  if (p === null) return false;
  if (isAdmin(p)) return true;
  if (!hasScope(p, 'read')) return false;
  if (p.namespace !== null && p.namespace !== namespace) return false;
  return (await findNamespace(db, namespace))?.owner === p.owner;
}

/**
 * Throws 401/403 unless `p` may publish (or yank) in `namespace`. Returns whether the
 * namespace has no owner yet, so that the publish claims it.
 */
export async function checkPublish(db: Db, p: Principal | null, namespace: string): Promise<{ unclaimed: boolean }> {
  const token = requireToken(p, 'publishing');
  const ns = await findNamespace(db, namespace);
  if (isAdmin(token)) return { unclaimed: ns === undefined };
  if (!hasScope(token, 'publish')) {
    throw new UniError('forbidden', `token ${token.id} lacks the publish scope`, 403);
  }
  if (namespace === DEFAULT_NAMESPACE) {
    throw new UniError('forbidden', `namespace "${DEFAULT_NAMESPACE}" belongs to the registry's admins`, 403);
  }
  if (token.namespace !== null && token.namespace !== namespace) {
    throw new UniError('forbidden', `token ${token.id} may publish only in namespace "${token.namespace}", not "${namespace}"`, 403);
  }
  if (ns !== undefined && ns.owner !== token.owner) {
    throw new UniError('forbidden', `namespace "${namespace}" belongs to another owner`, 403);
  }
  // Packages without an owner came from `uni mirror sync` or a former mirror: whoever
  // published them, it was not this token's owner.
  if (ns === undefined && (await namespaceHasPackages(db, namespace))) {
    throw new UniError('forbidden', `namespace "${namespace}" holds packages but has no owner: only admins publish there`, 403);
  }
  return { unclaimed: ns === undefined };
}

/** How far `p` sees private packages, for queries over many packages. */
export function readReach(p: Principal | null): ReadReach {
  if (p === null || !hasScope(p, 'read')) return { kind: 'public' };
  if (isAdmin(p)) return { kind: 'everything' };
  if (p.namespace !== null) return { kind: 'namespace', namespace: p.namespace, owner: p.owner };
  return { kind: 'owner', owner: p.owner };
}
