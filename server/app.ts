/**
 * The registry as a Hono app, built from its ports. Nothing here touches a file, a socket or
 * shared memory, so the same app serves from Node and from Workers.
 */
import { Hono } from 'hono';
import { UniError, isUniError } from '../protocol/errors.js';
import { authenticate } from './auth/access.js';
import type { AppDeps, AppEnv } from './deps.js';
import { blobRoutes } from './routes/blobs.js';
import { changesRoutes } from './routes/changes.js';
import { healthRoutes } from './routes/health.js';
import { installMirror } from './mirror/hooks.js';
import { packageRoutes } from './routes/packages.js';
import { publishRoutes } from './routes/publish.js';
import { tokenRoutes } from './routes/tokens.js';
import { yankRoutes } from './routes/yank.js';
import { sendError, webRoutes } from './web/routes.js';

export type { AppDeps, AppEnv } from './deps.js';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    deps.config.log(`${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(1)}ms`);
  });

  app.use('*', async (c, next) => {
    c.set('principal', await authenticate(deps.db, deps.clock, c.req.header('authorization')));
    await next();
  });

  if (deps.mirror) installMirror(app, deps, deps.mirror);

  app.route('/', healthRoutes(deps));
  app.route('/', packageRoutes(deps));
  app.route('/', publishRoutes(deps));
  app.route('/', yankRoutes(deps));
  app.route('/', blobRoutes(deps));
  app.route('/', changesRoutes(deps));
  app.route('/', tokenRoutes(deps));
  app.route('/', webRoutes(deps));

  app.notFound((c) => {
    const error = new UniError('not_found', `no route for ${c.req.method} ${c.req.path}`, 404);
    // A person browsing gets a page; the API (and anything not asking for HTML) gets JSON.
    if (!c.req.path.startsWith('/v1/') && (c.req.header('accept') ?? '').includes('text/html')) return sendError(deps, c, error);
    return c.json(error.toJSON(), 404);
  });

  app.onError((e, c) => {
    if (isUniError(e)) return c.json(e.toJSON(), e.status as 400);
    deps.config.log(`error ${c.req.method} ${c.req.path}: ${(e as Error)?.stack ?? String(e)}`);
    return c.json({ error: { code: 'internal', message: 'internal error; see the registry log' } }, 500);
  });

  return app;
}
