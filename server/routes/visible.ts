import { canReadPrivate, type Principal } from '../auth/access.js';
import type { AppDeps } from '../deps.js';
import { notFound, type PackageTarget } from '../http.js';
import { findPackage, type PackageRow } from '../store/packages.js';

/** A package as `p` may see it: a private one is "not found" to anyone who may not read it. */
export async function visiblePackage(deps: AppDeps, p: Principal | null, target: PackageTarget): Promise<PackageRow> {
  const pkg = await findPackage(deps.db, target.full);
  if (!pkg || (pkg.private === 1 && !(await canReadPrivate(deps.db, p, target.namespace)))) {
    throw notFound(`package ${target.full}`);
  }
  return pkg;
}
