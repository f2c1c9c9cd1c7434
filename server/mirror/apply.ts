/**
 * Brings the local copy of one package in line with the upstream's package document: new
 * versions and artifacts (with their manifest and file index, fetched from the upstream's
 * artifact documents), visibility, description, and yank state, in one transaction. The
 * local change feed records what arrived, so a mirror can itself be followed.
 */
import { UniError } from '../../protocol/errors.js';
import type { ArtifactDocument, PackageDocument } from '../documents.js';
import type { Db, SqlStatement } from '../ports.js';
import { listArtifactSummaries, listVersions } from '../store/packages.js';
import { inParallel } from './parallel.js';
import { UpstreamFailure, type Upstream } from './upstream.js';

export interface ApplyOptions {
  upstream: Upstream;
  /** ISO time of this refresh. */
  at: string;
  /** The upstream's ETag for `doc`, kept for the next If-None-Match. */
  etag: string | null;
  /** Only these architectures; all when absent. */
  arches?: readonly string[];
  concurrency: number;
  /** Runs after the artifact documents are fetched and before anything is written: sync stores the blobs here. */
  beforeCommit?: (added: ArtifactDocument[]) => Promise<void>;
  /** Committed first, in the same transaction: a guard (store/guards.ts) that fails it when the copy may not be written. */
  guard?: SqlStatement;
  /** How the statements are committed (all or nothing): `db.batch` unless given; sync groups several packages into one batch. */
  commit?: (statements: SqlStatement[]) => Promise<unknown>;
}

interface Wanted {
  version: string;
  arch: string;
  digest: string;
  size: number;
}

function wantedArtifacts(doc: PackageDocument, arches: readonly string[] | undefined): Wanted[] {
  const out: Wanted[] = [];
  for (const [version, v] of Object.entries(doc.versions)) {
    for (const [arch, a] of Object.entries(v.artifacts)) {
      if (!arches || arches.includes(arch)) out.push({ version, arch, digest: a.digest, size: a.size });
    }
  }
  return out;
}

export async function applyPackageDocument(db: Db, doc: PackageDocument, opts: ApplyOptions): Promise<void> {
  const name = doc.name;
  // From the name the upstream was asked for (upstream.ts checks it), never the document's own
  // `namespace` field: visibility and ownership go by this column.
  const namespace = name.slice(0, name.indexOf('/'));
  const [localVersions, localArtifacts] = await Promise.all([listVersions(db, name), listArtifactSummaries(db, name)]);
  const held = new Map(localArtifacts.map((a) => [`${a.version}/${a.arch}`, a.digest]));
  const wanted = wantedArtifacts(doc, opts.arches);
  const missing: Wanted[] = [];
  for (const w of wanted) {
    const digest = held.get(`${w.version}/${w.arch}`);
    if (digest === undefined) missing.push(w);
    else if (digest !== w.digest) {
      throw new UniError(
        'upstream_conflict',
        `upstream ${opts.upstream.url} now gives ${name}@${w.version} (${w.arch}) the digest ${w.digest}, but this registry holds ${digest}; a published version never changes, so the upstream copy is refused`,
        502,
      );
    }
  }

  const added = await inParallel(missing, opts.concurrency, async (w) => {
    const art = await opts.upstream.artifactDocument(name, w.version, w.arch);
    if (!art || art.digest !== w.digest || art.size !== w.size) {
      throw new UpstreamFailure(
        'down',
        `upstream ${opts.upstream.url} lists ${name}@${w.version} (${w.arch}) as ${w.digest} (${w.size} bytes) but its artifact document ${art ? `says ${art.digest} (${art.size} bytes)` : 'is missing'}`,
      );
    }
    return art;
  });
  await opts.beforeCommit?.(added);

  const statements: SqlStatement[] = [
    ...(opts.guard ? [opts.guard] : []),
    {
      sql: `INSERT INTO packages (name, namespace, short_name, private, description, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET private = excluded.private, description = excluded.description,
                                             updated_at = excluded.updated_at`,
      params: [name, namespace, name.slice(namespace.length + 1), doc.private ? 1 : 0, doc.description ?? null, opts.at, opts.at],
    },
  ];
  const localByVersion = new Map(localVersions.map((v) => [v.version, v]));
  const versionsWithArtifacts = new Set(wanted.map((w) => w.version));
  for (const [version, v] of Object.entries(doc.versions)) {
    if (!versionsWithArtifacts.has(version)) continue;
    const local = localByVersion.get(version);
    if (!local) {
      statements.push({
        sql: `INSERT INTO versions (package, version, dependencies, yanked, yank_reason, published_at) VALUES (?, ?, ?, ?, ?, ?)
              ON CONFLICT (package, version) DO NOTHING`,
        params: [name, version, JSON.stringify(v.dependencies), v.yanked ? 1 : 0, v.yankReason ?? null, v.publishedAt],
      });
    }
    for (const art of added.filter((a) => a.version === version)) {
      // The feed entry first, guarded, so that a concurrent refresh that stored it already adds no second one.
      statements.push(
        {
          sql: `INSERT INTO changes (type, package, version, arch, digest, at)
                SELECT 'publish', ?, ?, ?, ?, ? WHERE NOT EXISTS
                  (SELECT 1 FROM artifacts WHERE package = ? AND version = ? AND arch = ?)`,
          params: [name, version, art.arch, art.digest, opts.at, name, version, art.arch],
        },
        {
          sql: `INSERT INTO artifacts (package, version, arch, digest, size, manifest, files, published_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (package, version, arch) DO NOTHING`,
          params: [name, version, art.arch, art.digest, art.size, JSON.stringify(art.manifest), JSON.stringify(art.files), art.publishedAt],
        },
      );
    }
    const wasYanked = local ? local.yanked === 1 : false;
    const reason = v.yanked ? (v.yankReason ?? null) : null;
    if (wasYanked !== v.yanked || (local && v.yanked && local.yank_reason !== reason)) {
      statements.push(
        {
          sql: 'UPDATE versions SET yanked = ?, yank_reason = ? WHERE package = ? AND version = ?',
          params: [v.yanked ? 1 : 0, reason, name, version],
        },
        {
          sql: 'INSERT INTO changes (type, package, version, at) VALUES (?, ?, ?, ?)',
          params: [v.yanked ? 'yank' : 'unyank', name, version, opts.at],
        },
      );
    }
  }
  statements.push({
    sql: `INSERT INTO mirror_packages (package, upstream, etag, fetched_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (package) DO UPDATE SET upstream = excluded.upstream, etag = excluded.etag, fetched_at = excluded.fetched_at`,
    params: [name, opts.upstream.url, opts.etag, opts.at],
  });
  await (opts.commit ?? ((list: SqlStatement[]) => db.batch(list)))(statements);
}

/**
 * The upstream no longer shows the package to this mirror (unpublished, or made private and
 * the mirror's token does not reach it): the copy goes, so access removed upstream is
 * removed here too. Its blobs stay on disk but, referenced by nothing, are served to nobody.
 */
export async function forgetPackage(db: Db, name: string): Promise<void> {
  await db.batch([
    { sql: 'DELETE FROM artifacts WHERE package = ?', params: [name] },
    { sql: 'DELETE FROM versions WHERE package = ?', params: [name] },
    { sql: 'DELETE FROM packages WHERE name = ?', params: [name] },
    { sql: 'DELETE FROM mirror_packages WHERE package = ?', params: [name] },
  ]);
}
