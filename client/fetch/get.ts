import semver from 'semver';
import { UniError } from '../../protocol/errors.js';
import type { Arch, PackageSpec } from '../../protocol/names.js';
import type { Progress } from '../progress.js';
import type { Session } from '../registry/session.js';
import type { PackageSource } from '../types.js';
import { fetchSolution, type FetchedPackage } from './solution.js';

/** The resolver's entry point, as `uni pkg get` needs it: root requirements in, name → version out. */
export type Resolve = (req: { root: Record<string, string>; arch: Arch; source: PackageSource }) => Promise<Record<string, string>>;

/**
 * Before resolving: a root package that has versions in the range, but none built for `arch`,
 * gets a message that says so, rather than a resolver explanation about an empty range.
 */
async function checkRootArch(source: PackageSource, spec: PackageSpec, arch: Arch): Promise<void> {
  const versions = await source.versions(spec.name.full);
  const inRange = versions.filter((v) => !v.yanked && semver.satisfies(v.version, spec.range));
  if (inRange.length === 0 || inRange.some((v) => v.arches.includes(arch))) return;
  const others = [...new Set(inRange.flatMap((v) => v.arches))].sort();
  const range = spec.range === '*' ? '' : ` matching ${spec.range}`;
  throw new UniError(
    'no_artifact',
    `${spec.name.full} has no version${range} built for ${arch}; ${others.length ? `there are versions for ${others.join(', ')}` : 'no version has an artifact'} (choose one with --arch)`,
    404,
  );
}

/** `uni pkg get`: resolve the specs with their dependencies for one architecture, then fetch, verify and extract. */
export async function getPackages(opts: {
  session: Session;
  specs: PackageSpec[];
  arch: Arch;
  resolve: Resolve;
  progress: (packages: number) => Progress;
}): Promise<FetchedPackage[]> {
  const { session, specs, arch } = opts;
  const root: Record<string, string> = {};
  for (const s of specs) {
    if (root[s.name.full] !== undefined && root[s.name.full] !== s.range) {
      throw new UniError('usage', `${s.name.full} is asked for twice, as ${root[s.name.full]} and ${s.range}`);
    }
    root[s.name.full] = s.range;
  }
  await Promise.all(specs.map((s) => checkRootArch(session.source, s, arch)));
  const solution = await opts.resolve({ root, arch, source: session.source });
  return installSolution(session, solution, arch, opts.progress);
}

/**
 * Fetches, verifies and extracts a solution through the session (from the cache alone when it
 * is offline) behind one progress bar, checking each archive against `lockDigests` when given.
 */
export async function installSolution(
  session: Session,
  solution: Record<string, string>,
  arch: Arch,
  progress: (packages: number) => Progress,
  lockDigests?: Record<string, string>,
): Promise<FetchedPackage[]> {
  const bar = progress(Object.keys(solution).length);
  try {
    return await fetchSolution({
      solution,
      arch,
      source: session.source,
      layout: session.layout,
      client: session.offline ? null : session.client,
      progress: bar,
      warn: session.warn,
      ...(lockDigests ? { lockDigests } : {}),
    });
  } finally {
    bar.stop();
  }
}
