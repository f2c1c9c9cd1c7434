import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../deps.js';

/** GET /healthz: 200 when the database answers, 503 otherwise. */
export function healthRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', async (c) => {
    try {
      await deps.db.first('SELECT 1 AS ok');
      return c.json({ ok: true });
    } catch (e) {
      return c.json({ ok: false, error: { code: 'unavailable', message: `database: ${(e as Error).message}` } }, 503);
    }
  });
  return app;
}
