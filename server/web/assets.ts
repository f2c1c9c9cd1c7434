/**
 * The stylesheet and the script, served by the app itself (no asset binding, so Node and
 * Workers alike) under names that carry their hash: a page always asks for the file it was
 * made with, and the file can be cached for a year.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../deps.js';
import { matchesIfNoneMatch, strongEtag } from '../http.js';
import { SCRIPT } from './script.js';
import { STYLESHEET } from './style.js';

interface Asset {
  path: string;
  body: string;
  type: string;
  etag: string;
}

function asset(stem: string, ext: string, body: string, type: string): Asset {
  const etag = strongEtag(body);
  return { path: `/static/${stem}-${etag.slice(1, 13)}.${ext}`, body, type, etag };
}

export const STYLE_ASSET = asset('ui', 'css', STYLESHEET, 'text/css; charset=utf-8');
export const SCRIPT_ASSET = asset('ui', 'js', SCRIPT, 'text/javascript; charset=utf-8');

export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const a of [STYLE_ASSET, SCRIPT_ASSET]) {
    app.get(a.path, (c) => {
      const headers = { ETag: a.etag, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' };
      if (matchesIfNoneMatch(c.req.header('if-none-match'), a.etag)) return c.body(null, 304, headers);
      return c.body(a.body, 200, { ...headers, 'Content-Type': a.type });
    });
  }
  return app;
}
