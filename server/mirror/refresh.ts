/**
 * Pull-through of a package document: a mirrored package is revalidated upstream when it is
 * missing here or older than max-age, and served from the cache (marked stale) when the
 * upstream cannot answer. Local namespaces are never looked up upstream.
 */
import { UniError } from '../../protocol/errors.js';
import { notFound } from '../http.js';
import type { BlobStore, Clock, Db } from '../ports.js';
import { findPackage } from '../store/packages.js';
import { applyPackageDocument, forgetPackage } from './apply.js';
import { isMirrored, type Mirror } from './config.js';
import { backoffOf, recordFailure, recordSuccess } from './health.js';
import { UpstreamFailure, isUpstreamFailure, upstreamClient, type Upstream } from './upstream.js';

/** Where an answer came from: this registry's own package, the upstream just now, or the cache. */
export type Source = 'local' | 'upstream' | 'cache';

export interface Freshness {
  source: Source;
  /** Served from the cache past its max-age because the upstream failed (or the mirror is offline). */
  stale: boolean;
  /** Seconds since the upstream last confirmed the copy, when stale. */
  ageSeconds?: number;
}

export interface MirrorContext {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  mirror: Mirror;
  log: (line: string) => void;
}

/** Artifact documents fetched at once while a package is first cached. */
const DOCUMENT_CONCURRENCY = 8;

function upstreamOf(mirror: Mirror): Upstream {
  return upstreamClient({
    url: mirror.config.upstream,
    ...(mirror.config.token !== undefined ? { token: mirror.config.token } : {}),
    fetch: mirror.fetch,
    timeoutMs: mirror.config.timeoutMs,
  });
}

/** Runs `fn` against the upstream unless it is in back-off; a failure starts one. */
export async function askUpstream<T>(ctx: MirrorContext, fn: (u: Upstream) => Promise<T>): Promise<T> {
  const { config } = ctx.mirror;
  const blocked = await backoffOf(ctx.db, ctx.clock, config.upstream);
  if (blocked) {
    throw new UpstreamFailure(
      blocked.kind,
      `upstream ${config.upstream} failed recently (${blocked.lastError}); not asked again before ${blocked.retryAt}`,
      blocked.retryAt,
    );
  }
  try {
    const result = await fn(upstreamOf(ctx.mirror));
    await recordSuccess(ctx.db, config.upstream);
    return result;
  } catch (e) {
    if (isUpstreamFailure(e)) {
      await recordFailure(ctx.db, ctx.clock, config.upstream, config.backoffMs, e);
      ctx.log(`mirror: ${e.message}; backing off for ${config.backoffMs} ms`);
    }
    throw e;
  }
}

/**
 * Makes the local copy of `name` as fresh as the rules allow, before the read route serves
 * it. Returns null for a local namespace, which the mirror never touches.
 */
export async function refreshPackage(ctx: MirrorContext, namespace: string, name: string): Promise<Freshness | null> {
  const { config } = ctx.mirror;
  if (!isMirrored(config, namespace)) return null;
  const state = await ctx.db.first<{ etag: string | null; fetched_at: string }>(
    'SELECT etag, fetched_at FROM mirror_packages WHERE package = ?',
    [name],
  );
  const now = ctx.clock.now();
  const age = state ? now.getTime() - Date.parse(state.fetched_at) : Infinity;
  if (state && age < config.maxAgeMs) return { source: 'cache', stale: false };
  if (config.offline) {
    if (!state) throw new UniError('not_found', `package ${name} not found: it is not in this mirror's cache and the mirror is offline`, 404);
    return staleCopy(age);
  }
  try {
    const answer = await askUpstream(ctx, (u) => u.packageDocument(name, state?.etag));
    const at = now.toISOString();
    if (answer.kind === 'not_modified') {
      await ctx.db.run('UPDATE mirror_packages SET fetched_at = ? WHERE package = ?', [at, name]);
    } else if (answer.kind === 'not_found') {
      if (state) await forgetPackage(ctx.db, name);
      // The very answer a package the caller may not see gets, so that it tells nothing.
      throw notFound(`package ${name}`);
    } else {
      await askUpstream(ctx, (upstream) =>
        applyPackageDocument(ctx.db, answer.doc, { upstream, at, etag: answer.etag, concurrency: DOCUMENT_CONCURRENCY }),
      );
    }
    return { source: 'upstream', stale: false };
  } catch (e) {
    if (!isUpstreamFailure(e)) throw e;
    if (!state) throw e;
    // A refused token means the upstream withdrew this mirror's access: its private copies go dark.
    if (e.kind === 'denied' && (await findPackage(ctx.db, name))?.private === 1) {
      throw notFound(`package ${name}`);
    }
    return staleCopy(age);
  }
}

function staleCopy(ageMs: number): Freshness {
  return { source: 'cache', stale: true, ageSeconds: Math.max(0, Math.floor(ageMs / 1000)) };
}
