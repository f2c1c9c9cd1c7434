/**
 * Where the mirror meets the registry's routes: middleware in front of them, so that the
 * routes serve mirrored packages from the same tables as local ones.
 * - GET of a package or artifact document in a mirrored namespace: refresh first (refresh.ts),
 *   then mark the answer with X-Uni-Source and, when served stale, X-Uni-Stale: 1.
 * - GET of a blob that a mirrored package references and this registry lacks: pull it (blob.ts).
 * - Any write into a mirrored namespace: 403, so nothing local can shadow an upstream name.
 */
import type { Context, Hono, Next } from 'hono';
import { UniError } from '../../protocol/errors.js';
import { canReadPrivate } from '../auth/access.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { packageTarget } from '../http.js';
import { digestHex } from '../store/digest.js';
import { isMirrored, type Mirror } from './config.js';
import { isUpstreamFailure } from './upstream.js';
import { pullBlob } from './blob.js';
import { refreshPackage, type Freshness, type MirrorContext } from './refresh.js';

function mark(c: Context<AppEnv>, f: Freshness | null): void {
  c.res.headers.set('X-Uni-Source', f?.source ?? 'local');
  if (f?.stale) {
    c.res.headers.set('X-Uni-Stale', '1');
    c.res.headers.set('Warning', '110 - "Response is Stale"');
    if (f.ageSeconds !== undefined) c.res.headers.set('Age', String(f.ageSeconds));
  }
}

/**
 * The 502 of an upstream in back-off says when the mirror will ask it again (Retry-After),
 * so that a client waits or gives up instead of retrying into the same answer.
 */
function upstreamFailed(c: Context<AppEnv>, e: unknown, now: Date): Response {
  if (!isUpstreamFailure(e) || e.retryAt === undefined) throw e;
  const seconds = Math.max(1, Math.ceil((Date.parse(e.retryAt) - now.getTime()) / 1000));
  return c.json(e.toJSON(), 502, { 'Retry-After': String(seconds) });
}

const READS = new Set(['GET', 'HEAD']);

/** A miss in a namespace this mirror keeps local: the user may have expected it to come from the upstream. */
function unmirrored(name: string, namespace: string, config: Mirror['config']): UniError {
  return new UniError(
    'not_found',
    `package ${name} not found: namespace "${namespace}" is not mirrored here (this registry reads only ${config.namespaces.join(', ')} from ${config.upstream} and keeps every other namespace local); to read "${namespace}" from the upstream, start the mirror with --mirror ${namespace}`,
    404,
  );
}

export function installMirror(app: Hono<AppEnv>, deps: AppDeps, mirror: Mirror): void {
  const ctx: MirrorContext = { db: deps.db, blobs: deps.blobs, clock: deps.clock, mirror, log: deps.config.log };
  const { config } = mirror;

  const refuseWrites = async (c: Context<AppEnv>, next: Next) => {
    const ns = c.req.param('ns')!;
    if (!READS.has(c.req.method) && isMirrored(config, ns)) {
      throw new UniError(
        'mirrored_namespace',
        `namespace "${ns}" is mirrored from ${config.upstream}: publish and yank there, not on this mirror`,
        403,
      );
    }
    await next();
  };
  app.use('/v1/packages/:ns/:name/*', refuseWrites);

  const refreshDocument = async (c: Context<AppEnv>, next: Next) => {
    if (!READS.has(c.req.method)) return next();
    const target = packageTarget(c.req.param('ns')!, c.req.param('name')!);
    let freshness: Freshness | null;
    try {
      freshness = await refreshPackage(ctx, target.namespace, target.full);
    } catch (e) {
      return upstreamFailed(c, e, deps.clock.now());
    }
    await next();
    // A 404 looks the same whether the upstream has no such package or the caller may not see it.
    if (c.res.ok || c.res.status === 304) mark(c, freshness);
    else if (c.res.status === 404 && freshness === null && c.req.path.split('/').length === 5) {
      // Only the package's own document: it says nothing a 404 for an unknown name would not.
      c.res = c.json(unmirrored(target.full, target.namespace, config).toJSON(), 404);
    }
  };
  app.use('/v1/packages/:ns/:name', refreshDocument);
  app.use('/v1/packages/:ns/:name/:version/:arch', refreshDocument);

  app.use('/v1/blobs/sha256/:hex', async (c, next) => {
    const digest = `sha256:${c.req.param('hex')}`;
    digestHex(digest);
    if (c.req.method !== 'GET' || (await deps.blobs.head(digest)) !== null) return next();
    const owners = await deps.db.all<{ namespace: string; private: number; size: number }>(
      'SELECT p.namespace, p.private, a.size FROM artifacts a JOIN packages p ON p.name = a.package WHERE a.digest = ?',
      [digest],
    );
    const mirrored = owners.filter((o) => isMirrored(config, o.namespace));
    let visible = mirrored.some((o) => o.private === 0);
    for (const o of mirrored) if (!visible) visible = await canReadPrivate(deps.db, c.get('principal'), o.namespace);
    // Anything else is the route's to answer (404 for a blob nobody may see or nobody has).
    if (!visible) return next();
    let body: ReadableStream<Uint8Array>;
    try {
      body = await pullBlob(ctx, digest, mirrored[0]!.size);
    } catch (e) {
      return upstreamFailed(c, e, deps.clock.now());
    }
    return c.body(body, 200, {
      'Content-Type': 'application/gzip',
      'Content-Length': String(mirrored[0]!.size),
      ETag: `"${digest}"`,
      'Cache-Control': `${mirrored.some((o) => o.private === 0) ? 'public' : 'private'}, max-age=31536000, immutable`,
      'X-Uni-Source': 'upstream',
    });
  });
}
