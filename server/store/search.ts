/** Search and listing over packages: FTS5 when there is a query, by name otherwise. */
import type { Db, SqlValue } from '../ports.js';
import { visibleSql, type ReadReach } from './visibility.js';

export interface SearchQuery {
  /** FTS5 terms, already made safe (see ftsQuery). */
  match: string | null;
  arch: string | null;
  limit: number;
  /** For a query: results to skip (ranked). For a listing: the last name of the previous page. */
  offset: number;
  after: string | null;
  reach: ReadReach;
}

export interface SearchRow {
  name: string;
  namespace: string;
  description: string | null;
  private: number;
}

/** Each word a prefix, all words required; quoting keeps FTS5 syntax out of user input. */
export function ftsQuery(q: string): string | null {
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.length === 0 ? null : words.map((w) => `"${w}"*`).join(' ');
}

export async function searchPackages(db: Db, query: SearchQuery): Promise<SearchRow[]> {
  const visible = visibleSql(query.reach, 'p');
  const where: string[] = [visible.sql];
  const params: SqlValue[] = [];
  let from = 'packages p';
  if (query.match !== null) {
    from = 'package_search JOIN packages p ON p.id = package_search.rowid';
    where.unshift('package_search MATCH ?');
    params.push(query.match);
  }
  params.push(...visible.params);
  if (query.arch !== null) {
    where.push('EXISTS (SELECT 1 FROM artifacts a WHERE a.package = p.name AND a.arch = ?)');
    params.push(query.arch);
  }
  if (query.match === null && query.after !== null) {
    where.push('p.name > ?');
    params.push(query.after);
  }
  const order = query.match !== null ? 'bm25(package_search), p.name' : 'p.name';
  params.push(query.limit, query.match !== null ? query.offset : 0);
  return db.all<SearchRow>(
    `SELECT p.name, p.namespace, p.description, p.private FROM ${from}
     WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`,
    params,
  );
}

export async function versionsOf(db: Db, names: string[]): Promise<{ package: string; version: string; yanked: number }[]> {
  if (names.length === 0) return [];
  return db.all(
    `SELECT package, version, yanked FROM versions WHERE package IN (${names.map(() => '?').join(', ')})`,
    names,
  );
}

export async function archesOf(db: Db, names: string[]): Promise<{ package: string; arch: string }[]> {
  if (names.length === 0) return [];
  return db.all(
    `SELECT DISTINCT package, arch FROM artifacts WHERE package IN (${names.map(() => '?').join(', ')}) ORDER BY arch`,
    names,
  );
}
