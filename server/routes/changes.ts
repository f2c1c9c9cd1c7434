import { Hono } from 'hono';
import { readReach } from '../auth/access.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { intParam } from '../http.js';
import { listChanges } from '../store/changes.js';

/** GET /v1/changes?since=&limit=: what mirrors follow, in sequence order; `next` is the `since` of the next call. */
export function changesRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/v1/changes', async (c) => {
    const since = intParam(c.req.query('since'), 'since', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c.req.query('limit'), 'limit', 100, 1, 1000);
    const rows = await listChanges(deps.db, since, limit, readReach(c.get('principal')));
    const changes = rows.map((r) => ({
      seq: r.seq,
      type: r.type,
      name: r.package,
      version: r.version,
      ...(r.arch !== null ? { arch: r.arch } : {}),
      ...(r.digest !== null ? { digest: r.digest } : {}),
      at: r.at,
    }));
    return c.json({ changes, next: rows.length > 0 ? rows[rows.length - 1]!.seq : since });
  });
  return app;
}
