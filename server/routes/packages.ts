/** Reads: search and listing, the package document, the artifact document. */
import { Hono } from 'hono';
import semver from 'semver';
import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import { canReadPrivate, readReach, type Principal } from '../auth/access.js';
import type { AppDeps, AppEnv } from '../deps.js';
import { artifactDocument, packageDocumentJson } from '../documents.js';
import { archParam, intParam, matchesIfNoneMatch, notFound, packageTarget, strongEtag, versionParam } from '../http.js';
import { findArtifact, findPackageDocument } from '../store/packages.js';
import { archesOf, ftsQuery, searchPackages, versionsOf } from '../store/search.js';
import { visiblePackage } from './visible.js';
import { isMirrored } from '../mirror/config.js';

interface Cursor {
  offset?: number;
  after?: string;
}

function encodeCursor(c: Cursor): string {
  return btoa(JSON.stringify(c)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeCursor(raw: string | undefined): Cursor {
  if (raw === undefined || raw === '') return {};
  try {
    const c = JSON.parse(atob(raw.replace(/-/g, '+').replace(/_/g, '/'))) as Cursor;
    if (typeof c === 'object' && c !== null) return c;
  } catch {
    // falls through to the error below
  }
  throw new UniError('bad_request', 'query parameter "cursor" is not a cursor this registry returned');
}

/** The highest version not yanked, releases before pre-releases; the highest at all otherwise. */
export function latestOf(versions: { version: string; yanked: number }[]): string | null {
  // Parsed once: a package page sorts 1,000 versions, and rcompare on strings parses at every comparison.
  const sorted = versions.map((v) => ({ ...v, parsed: new semver.SemVer(v.version) })).sort((a, b) => b.parsed.compare(a.parsed));
  const pick =
    sorted.find((v) => v.yanked === 0 && semver.prerelease(v.version) === null) ??
    sorted.find((v) => v.yanked === 0) ??
    sorted[0];
  return pick?.version ?? null;
}

export interface SearchResult {
  name: string;
  namespace: string;
  description?: string;
  latest: string | null;
  arches: string[];
  private: boolean;
  source: 'mirror' | 'local';
}

/** One page of search results (or of the listing by name), as `principal` may see them; the API and the web UI serve it. */
export async function searchResults(
  deps: AppDeps,
  principal: Principal | null,
  query: { q: string; arch: Arch | null; limit: number; cursor: string | undefined },
): Promise<{ results: SearchResult[]; next?: string }> {
  const { limit } = query;
  const cursor = decodeCursor(query.cursor);
  const match = ftsQuery(query.q);
  const rows = await searchPackages(deps.db, {
    match,
    arch: query.arch,
    limit: limit + 1,
    offset: cursor.offset ?? 0,
    after: cursor.after ?? null,
    reach: readReach(principal),
  });
  const page = rows.slice(0, limit);
  const names = page.map((r) => r.name);
  const [versions, arches] = await Promise.all([versionsOf(deps.db, names), archesOf(deps.db, names)]);
  const results = page.map((r): SearchResult => ({
    name: r.name,
    namespace: r.namespace,
    ...(r.description !== null ? { description: r.description } : {}),
    latest: latestOf(versions.filter((v) => v.package === r.name)),
    arches: arches.filter((a) => a.package === r.name).map((a) => a.arch),
    private: r.private === 1,
    // Which results this registry holds itself and which it caches from its upstream.
    source: deps.mirror && isMirrored(deps.mirror.config, r.namespace) ? 'mirror' : 'local',
  }));
  const more = rows.length > limit;
  const next = !more
    ? undefined
    : encodeCursor(match !== null ? { offset: (cursor.offset ?? 0) + limit } : { after: page[page.length - 1]!.name });
  return { results, ...(next !== undefined ? { next } : {}) };
}

export function packageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/v1/packages', async (c) => {
    const archRaw = c.req.query('arch');
    return c.json(
      await searchResults(deps, c.get('principal'), {
        q: c.req.query('q') ?? '',
        arch: archRaw === undefined || archRaw === '' ? null : archParam(archRaw),
        limit: intParam(c.req.query('limit'), 'limit', 20, 1, 100),
        cursor: c.req.query('cursor'),
      }),
    );
  });

  app.get('/v1/packages/:ns/:name', async (c) => {
    const target = packageTarget(c.req.param('ns'), c.req.param('name'));
    const row = await findPackageDocument(deps.db, target.full);
    if (!row || (row.private === 1 && !(await canReadPrivate(deps.db, c.get('principal'), target.namespace)))) {
      throw notFound(`package ${target.full}`);
    }
    const body = packageDocumentJson(row);
    const etag = strongEtag(body);
    // Revalidated on every use: yanks and new versions change it.
    const headers = { ETag: etag, 'Cache-Control': row.private === 1 ? 'private, no-cache' : 'public, no-cache' };
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  });

  app.get('/v1/packages/:ns/:name/:version/:arch', async (c) => {
    const target = packageTarget(c.req.param('ns'), c.req.param('name'));
    const version = versionParam(c.req.param('version'));
    const arch = archParam(c.req.param('arch'));
    const pkg = await visiblePackage(deps, c.get('principal'), target);
    const row = await findArtifact(deps.db, target.full, version, arch);
    if (!row) throw notFound(`artifact ${target.full}@${version} for ${arch}`);
    // A published artifact never changes, so its digest identifies the document.
    const etag = `"${row.digest}"`;
    const headers = {
      ETag: etag,
      'Cache-Control': `${pkg.private === 1 ? 'private' : 'public'}, max-age=31536000, immutable`,
    };
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
    return c.json(artifactDocument(target.full, row), 200, headers);
  });

  return app;
}
