/**
 * Tokens: GET /v1/whoami, GET /v1/tokens, POST /v1/tokens, DELETE /v1/tokens/:id.
 * An admin may make any token. Anyone else may only make tokens narrower than their own:
 * a subset of its scopes (never admin), the same owner and namespace, an expiry no later.
 */
import { Hono } from 'hono';
import { UniError } from '../../protocol/errors.js';
import { validateWith } from '../../protocol/validate.js';
import tokenRequestSchema from '../../protocol/token-request.schema.json' with { type: 'json' };
import { hasScope, isAdmin, requireToken, type Principal } from '../auth/access.js';
import { generateToken, generateTokenId, hashToken, type Scope } from '../auth/tokens.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { notFound } from '../http.js';
import { isMirrored } from '../mirror/config.js';
import { claimNamespaceStatement, findNamespace } from '../store/namespaces.js';
import { findTokenById, insertTokenStatement, listTokensOf, revokeTokenTree, type TokenRecord } from '../store/tokens.js';

interface TokenRequest {
  scopes: Scope[];
  namespace?: string;
  owner?: string;
  name?: string;
  expiresInDays?: number;
  expiresAt?: string;
}

export function tokenDocument(t: Omit<TokenRecord, 'hash'>) {
  return {
    id: t.id,
    name: t.name,
    owner: t.owner,
    scopes: t.scopes,
    namespace: t.namespace,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    ...(t.revokedAt !== null ? { revokedAt: t.revokedAt } : {}),
  };
}

function expiryOf(req: TokenRequest, now: Date): string | null {
  if (req.expiresAt !== undefined && req.expiresInDays !== undefined) {
    throw new UniError('bad_request', 'token request: give either field "expiresAt" or field "expiresInDays", not both');
  }
  if (req.expiresAt !== undefined) {
    // The schema's date-time format admits what Date cannot represent, such as a leap second.
    if (Number.isNaN(Date.parse(req.expiresAt))) {
      throw new UniError('bad_request', `field "expiresAt" (${req.expiresAt}) is not a date and time this registry can represent`);
    }
    if (Date.parse(req.expiresAt) <= now.getTime()) {
      throw new UniError('bad_request', `field "expiresAt" (${req.expiresAt}) is in the past`);
    }
    return new Date(req.expiresAt).toISOString();
  }
  if (req.expiresInDays !== undefined) return new Date(now.getTime() + req.expiresInDays * 86_400_000).toISOString();
  return null;
}

/** Narrows a non-admin's request to what its own token allows, or refuses it with 403. */
async function checkDelegation(deps: AppDeps, creator: Principal, req: TokenRequest, expiresAt: string | null) {
  for (const s of req.scopes) {
    // hasScope, not the scope list: publish implies read, so a publish token may mint a read token.
    if (s === 'admin' || !hasScope(creator, s)) {
      throw new UniError('forbidden', `field "scopes": token ${creator.id} cannot grant "${s}", which it does not hold`, 403);
    }
  }
  if (req.owner !== undefined && req.owner !== creator.owner) {
    throw new UniError('forbidden', 'field "owner": only admins make tokens for another owner', 403);
  }
  const namespace = req.namespace ?? creator.namespace;
  if (creator.namespace !== null && namespace !== creator.namespace) {
    throw new UniError('forbidden', `field "namespace": token ${creator.id} is limited to namespace "${creator.namespace}"`, 403);
  }
  if (namespace !== null && creator.namespace === null) {
    const ns = await findNamespace(deps.db, namespace);
    if (ns !== undefined && ns.owner !== creator.owner) {
      throw new UniError('forbidden', `field "namespace": namespace "${namespace}" belongs to another owner`, 403);
    }
    // Nobody claims a mirrored namespace by publishing, so only an admin's token can give it an owner.
    if (ns === undefined && deps.mirror !== undefined && isMirrored(deps.mirror.config, namespace)) {
      throw new UniError('forbidden', `field "namespace": namespace "${namespace}" is mirrored and has no owner; an admin makes tokens for it`, 403);
    }
  }
  if (creator.expiresAt !== null && (expiresAt === null || expiresAt > creator.expiresAt)) {
    throw new UniError('forbidden', `field "expiresAt": a token made by ${creator.id} must expire by ${creator.expiresAt}`, 403);
  }
  return { namespace, owner: creator.owner };
}

/** An admin's token: its owner is the one asked for, else the namespace's, else a new one. */
async function adminGrant(deps: AppDeps, req: TokenRequest, id: string) {
  if (req.namespace === undefined) return { namespace: null, owner: req.owner ?? `token-${id}` };
  // An admin token acts everywhere, so a namespace would narrow nothing.
  if (req.scopes.includes('admin')) {
    throw new UniError('bad_request', 'field "namespace": an admin token acts in every namespace; leave out "namespace" or "admin"');
  }
  const ns = await findNamespace(deps.db, req.namespace);
  if (ns !== undefined && req.owner !== undefined && req.owner !== ns.owner) {
    throw new UniError('bad_request', `field "owner": namespace "${req.namespace}" belongs to "${ns.owner}", so a token for it must have that owner`);
  }
  return { namespace: req.namespace, owner: req.owner ?? ns?.owner ?? req.namespace };
}

export function tokenRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/v1/whoami', (c) => c.json(tokenDocument(requireToken(c.get('principal'), 'whoami'))));

  app.get('/v1/tokens', async (c) => {
    const p = requireToken(c.get('principal'), 'listing tokens');
    return c.json({ tokens: (await listTokensOf(deps.db, p.owner)).map(tokenDocument) });
  });

  app.post('/v1/tokens', async (c) => {
    const creator = requireToken(c.get('principal'), 'making a token');
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new UniError('bad_request', 'the request body must be JSON: {"scopes": ["read"], ...}');
    }
    const req = validateWith<TokenRequest>(tokenRequestSchema, raw, 'token request', 'bad_request');
    const now = deps.clock.now();
    const expiresAt = expiryOf(req, now);
    const id = generateTokenId();
    const { namespace, owner } = isAdmin(creator) ? await adminGrant(deps, req, id) : await checkDelegation(deps, creator, req, expiresAt);
    const secret = generateToken();
    const record = {
      id,
      hash: hashToken(secret),
      name: req.name ?? null,
      owner,
      scopes: [...req.scopes].sort(),
      namespace,
      createdAt: now.toISOString(),
      expiresAt,
      revokedAt: null,
      createdBy: creator.id,
    };
    const statements = [insertTokenStatement(record)];
    // An admin's token for a new namespace reserves it for that token's owner.
    if (isAdmin(creator) && namespace !== null) statements.push(claimNamespaceStatement(namespace, owner, record.createdAt));
    await deps.db.batch(statements);
    return c.json({ ...tokenDocument(record), token: secret }, 201);
  });

  app.delete('/v1/tokens/:id', async (c) => {
    const p = requireToken(c.get('principal'), 'revoking a token');
    const token = await findTokenById(deps.db, c.req.param('id'));
    if (!token || (!isAdmin(p) && token.owner !== p.owner)) throw notFound(`token ${c.req.param('id')}`);
    await revokeTokenTree(deps.db, token.id, deps.clock.now().toISOString());
    return c.json(tokenDocument((await findTokenById(deps.db, token.id))!));
  });

  return app;
}
