/** Reads the web UI needs beyond the API's: counts, recent publishes, a namespace's packages, dependents. */
import type { Db } from '../ports.js';
import { visibleSql, type ReadReach } from './visibility.js';

export interface Counts {
  packages: number;
  versions: number;
  namespaces: number;
}

export async function countVisible(db: Db, reach: ReadReach): Promise<Counts> {
  const visible = visibleSql(reach, 'p');
  const row = await db.first<Counts>(
    `SELECT count(*) AS packages, coalesce(sum(n), 0) AS versions, count(DISTINCT namespace) AS namespaces
     FROM (SELECT p.namespace, (SELECT count(*) FROM versions v WHERE v.package = p.name) AS n FROM packages p WHERE ${visible.sql})`,
    visible.params,
  );
  return row ?? { packages: 0, versions: 0, namespaces: 0 };
}

export interface RecentPublish {
  package: string;
  version: string;
  arch: string | null;
  at: string;
  description: string | null;
}

/** The latest publishes from the change feed, newest first. */
export async function recentPublishes(db: Db, reach: ReadReach, limit: number): Promise<RecentPublish[]> {
  const visible = visibleSql(reach, 'p');
  return db.all<RecentPublish>(
    `SELECT c.package, c.version, c.arch, c.at, p.description FROM changes c JOIN packages p ON p.name = c.package
     WHERE c.type = 'publish' AND ${visible.sql} ORDER BY c.seq DESC LIMIT ?`,
    [...visible.params, limit],
  );
}

export interface NamespacePackage {
  name: string;
  short_name: string;
  description: string | null;
  private: number;
}

/** One page of a namespace's packages by name, after `after`. */
export async function namespacePackages(db: Db, namespace: string, reach: ReadReach, after: string, limit: number): Promise<NamespacePackage[]> {
  const visible = visibleSql(reach, 'p');
  return db.all<NamespacePackage>(
    `SELECT p.name, p.short_name, p.description, p.private FROM packages p
     WHERE p.namespace = ? AND p.short_name > ? AND ${visible.sql} ORDER BY p.short_name LIMIT ?`,
    [namespace, after, ...visible.params, limit],
  );
}

/** The packages any version of which depends on `name`, as `reach` may see them. */
export async function dependentsOf(db: Db, name: string, reach: ReadReach): Promise<{ package: string; version: string; range: string }[]> {
  const visible = visibleSql(reach, 'p');
  return db.all(
    `SELECT e.package, e.version, e.range FROM dependency_edges e JOIN packages p ON p.name = e.package
     WHERE e.dependency = ? AND ${visible.sql} ORDER BY e.package`,
    [name, ...visible.params],
  );
}
