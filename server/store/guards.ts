/**
 * Rules checked inside a write's own batch (migrations/0004_write_guards.sql), for what may
 * change between a request's checks and its commit: the guard statement inserts a row only
 * when its rule is broken, and the table's CHECK then fails the whole batch.
 */
import type { SqlStatement, SqlValue } from '../ports.js';

export type GuardRule = 'namespace_owner' | 'visibility' | 'local_package';

/** Fails the batch it is part of when `brokenSql` holds at that point of the batch. */
export function guardStatement(rule: GuardRule, brokenSql: string, params: SqlValue[]): SqlStatement {
  return { sql: `INSERT INTO write_guards (rule) SELECT '${rule}' WHERE ${brokenSql}`, params };
}

/** The rule whose guard failed a batch, or null for any other error. */
export function brokenRule(e: unknown): GuardRule | null {
  const m = /CHECK constraint failed: (namespace_owner|visibility|local_package)\b/.exec(String((e as Error)?.message ?? e));
  return (m?.[1] as GuardRule | undefined) ?? null;
}
