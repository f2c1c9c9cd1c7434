/**
 * The SQL form of "who may see a private package" (auth/access.ts holds the rule), for
 * queries that filter many packages at once: search and the change feed.
 */
import type { SqlValue } from '../ports.js';

export type ReadReach =
  | { kind: 'everything' }
  | { kind: 'public' }
  | { kind: 'namespace'; namespace: string; owner: string }
  | { kind: 'owner'; owner: string };

export function visibleSql(reach: ReadReach, alias: string): { sql: string; params: SqlValue[] } {
  switch (reach.kind) {
    case 'everything':
      return { sql: '1 = 1', params: [] };
    case 'public':
      return { sql: `${alias}.private = 0`, params: [] };
    case 'namespace':
      return {
        sql: `(${alias}.private = 0 OR (${alias}.namespace = ? AND ${alias}.namespace IN (SELECT name FROM namespaces WHERE owner = ?)))`,
        params: [reach.namespace, reach.owner],
      };
    case 'owner':
      return {
        sql: `(${alias}.private = 0 OR ${alias}.namespace IN (SELECT name FROM namespaces WHERE owner = ?))`,
        params: [reach.owner],
      };
  }
}
