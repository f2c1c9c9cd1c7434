/** POST .../:version/yank marks a version yanked (still downloadable, not chosen by ranges); DELETE undoes it. */
import { Hono, type Context } from 'hono';
import { UniError } from '../../protocol/errors.js';
import { checkPublish, type Principal } from '../auth/access.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { notFound, packageTarget, versionParam, type PackageTarget } from '../http.js';
import { findVersion } from '../store/packages.js';
import { recordYank } from '../store/publish.js';
import { visiblePackage } from './visible.js';

/** The reason of a yank, checked as the API and the web form both take it. */
export function checkReason(reason: unknown): string | null {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string' || reason.length > 1024) {
    throw new UniError('bad_request', 'field "reason" must be a string of at most 1024 characters');
  }
  return reason;
}

async function reasonOf(c: Context<AppEnv>): Promise<string | null> {
  const text = await c.req.text();
  if (text.trim() === '') return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UniError('bad_request', 'the request body must be JSON: {"reason": "..."}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UniError('bad_request', 'the request body must be a JSON object: {"reason": "..."}');
  }
  return checkReason((body as { reason?: unknown }).reason);
}

/** Yanks or unyanks as `principal`, who must see the package and may publish in its namespace. */
export async function applyYank(
  deps: AppDeps,
  principal: Principal | null,
  target: PackageTarget,
  version: string,
  yanked: boolean,
  reason: string | null,
): Promise<void> {
  await visiblePackage(deps, principal, target);
  await checkPublish(deps.db, principal, target.namespace);
  const row = await findVersion(deps.db, target.full, version);
  if (!row) throw notFound(`version ${target.full}@${version}`);
  if ((row.yanked === 1) !== yanked || (yanked && row.yank_reason !== reason)) {
    await recordYank(deps.db, target.full, version, yanked, reason, deps.clock.now().toISOString());
  }
}

export function yankRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const setYanked = async (c: Context<AppEnv>, yanked: boolean) => {
    const target = packageTarget(c.req.param('ns')!, c.req.param('name')!);
    const version = versionParam(c.req.param('version')!);
    const principal = c.get('principal');
    await visiblePackage(deps, principal, target);
    await checkPublish(deps.db, principal, target.namespace);
    const reason = yanked ? await reasonOf(c) : null;
    await applyYank(deps, principal, target, version, yanked, reason);
    return c.json({ name: target.full, version, yanked, ...(reason !== null ? { yankReason: reason } : {}) });
  };

  app.post('/v1/packages/:ns/:name/:version/yank', (c) => setYanked(c, true));
  app.delete('/v1/packages/:ns/:name/:version/yank', (c) => setYanked(c, false));
  return app;
}
