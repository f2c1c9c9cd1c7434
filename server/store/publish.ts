/**
 * The metadata writes of a publish, yank and unyank. Each is one `batch` (one transaction),
 * the change-feed entry included, so a reader sees all of it or none of it.
 */
import type { Db, SqlStatement } from '../ports.js';
import { releaseClaimStatement } from './blob-claims.js';
import { guardStatement } from './guards.js';

export interface NewArtifact {
  namespace: string;
  shortName: string;
  /** namespace/name */
  name: string;
  version: string;
  arch: string;
  digest: string;
  size: number;
  /** As the publish asked; a new package without it is public. */
  private: boolean | undefined;
  description: string | null;
  dependencies: Record<string, string>;
  /** The manifest and file index as stored, serialized before the blob was committed. */
  manifestJson: string;
  filesJson: string;
  /** The publish's claim on `digest` (server/store/blob-claims.ts), given up by this batch. */
  claim: string;
  owner: string;
  /** Admins publish in any namespace; anyone else only where `owner` owns it when this commits. */
  admin: boolean;
  claimNamespace: boolean;
  at: string;
}

/**
 * Inserts the artifact with a plain INSERT: when another publish of the same version and
 * arch won a race, the primary key fails the whole batch and nothing of this one is kept.
 */
export async function recordPublish(db: Db, a: NewArtifact): Promise<void> {
  const statements: SqlStatement[] = [];
  if (a.claimNamespace) {
    // Packages without an owner (from `uni mirror sync`) keep their namespace admin-only.
    statements.push({
      sql: `INSERT INTO namespaces (name, owner, created_at) SELECT ?, ?, ?
            WHERE NOT EXISTS (SELECT 1 FROM packages WHERE namespace = ?) ON CONFLICT (name) DO NOTHING`,
      params: [a.namespace, a.owner, a.at, a.namespace],
    });
  }
  // Another owner's first publish may have claimed the namespace since the request was checked.
  if (!a.admin) {
    statements.push(guardStatement('namespace_owner', 'NOT EXISTS (SELECT 1 FROM namespaces WHERE name = ? AND owner = ?)', [a.namespace, a.owner]));
  }
  statements.push(
    {
      sql: `INSERT INTO packages (name, namespace, short_name, private, description, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET description = coalesce(excluded.description, packages.description),
                                             updated_at = excluded.updated_at`,
      params: [a.name, a.namespace, a.shortName, a.private ? 1 : 0, a.description, a.at, a.at],
    },
  );
  // A concurrent first publish with the other ?private= may have created the package first.
  if (a.private !== undefined) statements.push(guardStatement('visibility', 'EXISTS (SELECT 1 FROM packages WHERE name = ? AND private <> ?)', [a.name, a.private ? 1 : 0]));
  statements.push(
    {
      sql: `INSERT INTO versions (package, version, dependencies, published_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (package, version) DO NOTHING`,
      params: [a.name, a.version, JSON.stringify(a.dependencies), a.at],
    },
    {
      sql: `INSERT INTO artifacts (package, version, arch, digest, size, manifest, files, published_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      params: [a.name, a.version, a.arch, a.digest, a.size, a.manifestJson, a.filesJson, a.at],
    },
    releaseClaimStatement(a.claim),
    {
      sql: `INSERT INTO changes (type, package, version, arch, digest, at) VALUES ('publish', ?, ?, ?, ?, ?)`,
      params: [a.name, a.version, a.arch, a.digest, a.at],
    },
  );
  await db.batch(statements);
}

export function isUniqueViolation(e: unknown): boolean {
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String((e as Error)?.message ?? e));
}

export async function recordYank(db: Db, name: string, version: string, yanked: boolean, reason: string | null, at: string): Promise<void> {
  await db.batch([
    {
      sql: 'UPDATE versions SET yanked = ?, yank_reason = ? WHERE package = ? AND version = ?',
      params: [yanked ? 1 : 0, yanked ? reason : null, name, version],
    },
    {
      sql: 'INSERT INTO changes (type, package, version, at) VALUES (?, ?, ?, ?)',
      params: [yanked ? 'yank' : 'unyank', name, version, at],
    },
  ]);
}
