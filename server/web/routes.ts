/**
 * The web UI: pages rendered here from the same data and rules as the API, under / (the API
 * keeps /v1). Mounted by server/app.ts, so it runs unchanged on Node and on Workers.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UniError, isUniError } from '../../protocol/errors.js';
import { checkNamePart } from '../../protocol/names.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { packageTarget, versionParam } from '../http.js';
import { isMirrored } from '../mirror/config.js';
import { applyYank, checkReason } from '../routes/yank.js';
import { assetRoutes } from './assets.js';
import { sendPage } from './layout.js';
import { homePage } from './pages/home.js';
import { errorPage, loginPage, safeNext } from './pages/login.js';
import { namespacePage } from './pages/namespace.js';
import { packagePage } from './pages/package.js';
import { searchPage } from './pages/search.js';
import { versionPage } from './pages/version.js';
import { versionPath } from './html.js';
import { checkCsrf, checkOrigin, closeSession, openSession, viewerOf, type Viewer } from './session.js';

/** Forms here are a token or a yank reason: a few KiB at most. */
const FORM_LIMIT = 16 * 1024;

async function form(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded|^multipart\/form-data/i.test(type)) {
    throw new UniError('bad_request', 'send the form as application/x-www-form-urlencoded, as a browser does');
  }
  return c.req.parseBody();
}

/** A page for an error: the API's status and message, as HTML. */
export async function sendError(deps: AppDeps, c: Context<AppEnv>, e: unknown): Promise<Response> {
  let viewer: Viewer = { principal: null, session: null };
  try {
    viewer = await viewerOf(deps, c);
  } catch {
    // The error may be the session's own; the page is shown to nobody in particular then.
  }
  if (isUniError(e)) return sendPage(c, viewer, errorPage(e.status, e.message), e.status as ContentfulStatusCode);
  deps.config.log(`error ${c.req.method} ${c.req.path}: ${(e as Error)?.stack ?? String(e)}`);
  return sendPage(c, viewer, errorPage(500, 'internal error; see the registry log'), 500);
}

export function webRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((e, c) => sendError(deps, c, e));
  app.route('/', assetRoutes());
  const limit = bodyLimit({
    maxSize: FORM_LIMIT,
    onError: () => {
      throw new UniError('too_large', `a form here carries at most ${FORM_LIMIT} bytes`, 413);
    },
  });

  app.get('/', async (c) => {
    const viewer = await viewerOf(deps, c);
    return sendPage(c, viewer, await homePage(deps, viewer));
  });

  app.get('/search', async (c) => {
    const viewer = await viewerOf(deps, c);
    return sendPage(c, viewer, await searchPage(deps, viewer, c.req.query('q') ?? '', c.req.query('arch') ?? '', c.req.query('cursor')));
  });

  app.get('/namespaces/:ns', async (c) => {
    const viewer = await viewerOf(deps, c);
    return sendPage(c, viewer, await namespacePage(deps, viewer, checkNamePart(c.req.param('ns'), 'namespace'), c.req.query('after') ?? ''));
  });

  app.get('/packages/:ns/:name', async (c) => {
    const viewer = await viewerOf(deps, c);
    return sendPage(c, viewer, await packagePage(deps, viewer, packageTarget(c.req.param('ns'), c.req.param('name'))));
  });

  app.get('/packages/:ns/:name/:version', async (c) => {
    const viewer = await viewerOf(deps, c);
    const target = packageTarget(c.req.param('ns'), c.req.param('name'));
    return sendPage(c, viewer, await versionPage(deps, viewer, target, versionParam(c.req.param('version')), c.req.query('arch')));
  });

  app.post('/packages/:ns/:name/:version/yank', limit, async (c) => {
    const viewer = await viewerOf(deps, c);
    const body = await form(c);
    checkCsrf(c, viewer, body['csrf']);
    const target = packageTarget(c.req.param('ns'), c.req.param('name'));
    const version = versionParam(c.req.param('version'));
    if (deps.mirror && isMirrored(deps.mirror.config, target.namespace)) {
      throw new UniError('mirrored_namespace', `namespace "${target.namespace}" is mirrored from ${deps.mirror.config.upstream}: yank there`, 403);
    }
    const yanked = body['yanked'] !== 'false';
    const reason = yanked && body['reason'] !== '' ? checkReason(body['reason']) : null;
    await applyYank(deps, viewer.principal, target, version, yanked, reason);
    return c.redirect(versionPath(target.full, version), 303);
  });

  app.get('/login', async (c) => {
    const viewer = await viewerOf(deps, c);
    return sendPage(c, viewer, loginPage(safeNext(c.req.query('next'))));
  });

  app.post('/login', limit, async (c) => {
    checkOrigin(c);
    const body = await form(c);
    const next = safeNext(typeof body['next'] === 'string' ? body['next'] : undefined);
    try {
      await openSession(deps, c, typeof body['token'] === 'string' ? body['token'].trim() : '');
    } catch (e) {
      if (!isUniError(e) || e.status !== 401) throw e;
      return sendPage(c, { principal: null, session: null }, loginPage(next, e.message), 401);
    }
    return c.redirect(next, 303);
  });

  app.post('/logout', limit, async (c) => {
    const viewer = await viewerOf(deps, c);
    const body = await form(c);
    checkCsrf(c, viewer, body['csrf']);
    await closeSession(deps, c, viewer);
    return c.redirect('/', 303);
  });

  return app;
}
