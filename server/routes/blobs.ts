/**
 * GET /v1/blobs/sha256/:hex: the archive bytes. Immutable by construction (named by their
 * hash), so cached for a year; Range for resumed downloads. A blob no visible artifact
 * references is "not found", which keeps private archives and crash leftovers hidden.
 */
import { Hono } from 'hono';
import { canReadPrivate } from '../auth/access.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { matchesIfNoneMatch, notFound } from '../http.js';
import { digestHex } from '../store/digest.js';
import { packagesOfDigest } from '../store/packages.js';
import { parseRange } from './range.js';

/** Long enough for a slow client to start the download, short enough that a leaked URL goes stale. */
const PRESIGN_TTL_SECONDS = 300;

export function blobRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/v1/blobs/sha256/:hex', async (c) => {
    const digest = `sha256:${c.req.param('hex')}`;
    digestHex(digest);
    const owners = await packagesOfDigest(deps.db, digest);
    const isPublic = owners.some((o) => o.private === 0);
    if (!isPublic) {
      let allowed = false;
      for (const o of owners) if (!allowed) allowed = await canReadPrivate(deps.db, c.get('principal'), o.namespace);
      if (!allowed) throw notFound(`blob ${digest}`);
    }
    const etag = `"${digest}"`;
    const headers: Record<string, string> = {
      ETag: etag,
      'Cache-Control': `${isPublic ? 'public' : 'private'}, max-age=31536000, immutable`,
      'Accept-Ranges': 'bytes',
    };
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    const head = await deps.blobs.head(digest);
    if (!head) throw notFound(`blob ${digest}`);
    // A store that presigns (S3 with presign=true) serves the bytes itself; the client's Range
    // header follows the redirect. no-store: the URL expires, the blob does not.
    const presigned = await deps.blobs.presign?.(digest, PRESIGN_TTL_SECONDS);
    if (presigned) return c.body(null, 302, { ...headers, Location: presigned, 'Cache-Control': 'no-store' });
    const range = parseRange(c.req.header('range'), head.size);
    if (range === 'unsatisfiable') {
      return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${head.size}` });
    }
    headers['Content-Type'] = 'application/gzip';
    headers['Content-Length'] = String(range ? range.end - range.start + 1 : head.size);
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${head.size}`;
    const status = range ? 206 : 200;
    // HEAD runs this handler too: answer it without opening the blob.
    if (c.req.method === 'HEAD') return c.body(null, status, headers);
    const sent = await deps.sendBlob?.(c.env, digest, range ?? undefined, status, headers);
    if (sent) return sent;
    const blob = await deps.blobs.get(digest, range ?? undefined);
    if (!blob) throw notFound(`blob ${digest}`);
    return c.body(blob.body, status, headers);
  });

  return app;
}
