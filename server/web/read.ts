/** The package data pages show, read under the API's rules: the mirror refreshed first, private packages 404. */
import { isUniError } from '../../protocol/errors.js';
import { canReadPrivate, type Principal } from '../auth/access.js';
import type { AppDeps } from '../deps.js';
import type { PackageDocument } from '../documents.js';
import { notFound, type PackageTarget } from '../http.js';
import { isUpstreamFailure } from '../mirror/upstream.js';
import { refreshPackage, type Freshness } from '../mirror/refresh.js';
import { findPackageDocument, type PackageRow } from '../store/packages.js';
import type { LoadVersions } from './closure.js';

export type VersionInfo = PackageDocument['versions'][string];

export interface ReadPackage {
  row: PackageRow;
  versions: Record<string, VersionInfo>;
  /** Set on a mirror for a mirrored namespace: where this copy came from and whether it is stale. */
  freshness: Freshness | null;
}

async function freshen(deps: AppDeps, target: PackageTarget): Promise<Freshness | null> {
  if (!deps.mirror) return null;
  return refreshPackage({ db: deps.db, blobs: deps.blobs, clock: deps.clock, mirror: deps.mirror, log: deps.config.log }, target.namespace, target.full);
}

/** The package as `principal` may see it, or the API's 404. */
export async function readPackage(deps: AppDeps, principal: Principal | null, target: PackageTarget): Promise<ReadPackage> {
  const freshness = await freshen(deps, target);
  const row = await findPackageDocument(deps.db, target.full);
  if (!row || (row.private === 1 && !(await canReadPrivate(deps.db, principal, target.namespace)))) {
    throw notFound(`package ${target.full}`);
  }
  return { row, versions: JSON.parse(row.versions) as Record<string, VersionInfo>, freshness };
}

/** Versions of the dependencies, for the graph: what the reader may not see is not there. */
export function versionsLoader(deps: AppDeps, principal: Principal | null): LoadVersions {
  return async (name) => {
    const [namespace, short] = name.split('/');
    try {
      return (await readPackage(deps, principal, { namespace: namespace!, name: short!, full: name })).versions;
    } catch (e) {
      // Unreachable upstream or no access: the graph shows the package as missing rather than failing the page.
      if (isUpstreamFailure(e) || (isUniError(e) && e.status === 404)) return null;
      throw e;
    }
  };
}
