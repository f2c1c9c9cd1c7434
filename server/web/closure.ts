/**
 * The dependency graph a version pulls in for one architecture, as the version page draws it.
 *
 * The registry does not run the client's PubGrub resolver (server/ never imports client/):
 * it resolves the closure the way a reader checks it by hand. Each dependency gets the highest
 * version that is not yanked, has an artifact for the architecture and satisfies every range
 * asked of it so far (npm's rules: pre-releases only when a range names one); one version per
 * package. When a later range rules out a version already chosen, the walk starts again with
 * that range known from the start, which settles the usual cases of shared dependencies.
 * What still fails is reported plainly: the package, each range and who asked for it. `uni lock`
 * (PubGrub, with backtracking) is the authority: it may find a solution this walk misses.
 */
import semver from 'semver';

export interface VersionEntry {
  dependencies: Record<string, string>;
  yanked: boolean;
  artifacts: Record<string, unknown>;
}

/** A package's versions, or null when it does not exist for this reader. */
export type LoadVersions = (name: string) => Promise<Record<string, VersionEntry> | null>;

export interface GraphNode {
  name: string;
  /** null: nothing fits (see the graph's problems). */
  version: string | null;
  depth: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  range: string;
}

export interface DependencyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Empty when every dependency resolved. */
  problems: string[];
}

interface Demand {
  range: string;
  by: string;
}

/** Restarts allowed before the walk reports what still conflicts. */
const MAX_RESTARTS = 16;

function pick(versions: Record<string, VersionEntry>, demands: Demand[], arch: string): string | null {
  let best: string | null = null;
  for (const [v, entry] of Object.entries(versions)) {
    if (entry.yanked || !(arch in entry.artifacts)) continue;
    if (!demands.every((d) => semver.satisfies(v, d.range))) continue;
    if (best === null || semver.gt(v, best)) best = v;
  }
  return best;
}

function asked(demands: Demand[]): string {
  return demands.map((d) => `${d.range} (required by ${d.by})`).join(' and ');
}

function whyNone(name: string, versions: Record<string, VersionEntry>, demands: Demand[], arch: string): string {
  const all = Object.keys(versions);
  const forArch = all.filter((v) => arch in versions[v]!.artifacts);
  if (forArch.length === 0) return `${name} has no version built for ${arch}; it asks for ${asked(demands)}`;
  const matching = forArch.filter((v) => demands.every((d) => semver.satisfies(v, d.range)));
  if (matching.length > 0) return `${name}: every version that satisfies ${asked(demands)} is yanked (${matching.sort(semver.compare).join(', ')})`;
  if (demands.length > 1 && demands.every((d) => forArch.some((v) => semver.satisfies(v, d.range)))) {
    return `${name}: no single version satisfies ${asked(demands)}; one version per package is allowed`;
  }
  const shown = forArch.sort(semver.rcompare).slice(0, 5);
  return `${name}: no version satisfies ${asked(demands)}; the newest for ${arch} are ${shown.join(', ')}`;
}

export async function resolveClosure(
  root: { name: string; version: string; dependencies: Record<string, string> },
  arch: string,
  load: LoadVersions,
): Promise<DependencyGraph> {
  const cache = new Map<string, Record<string, VersionEntry> | null>();
  const loadOnce = async (name: string) => {
    if (!cache.has(name)) cache.set(name, await load(name));
    return cache.get(name)!;
  };
  const known = new Map<string, Demand[]>();
  for (let attempt = 0; ; attempt += 1) {
    const pass = await walk(root, arch, loadOnce, known, attempt < MAX_RESTARTS);
    if (pass.graph) return pass.graph;
    known.set(pass.retry.name, pass.retry.demands);
  }
}

type Pass = { graph: DependencyGraph; retry?: never } | { graph?: never; retry: { name: string; demands: Demand[] } };

async function walk(
  root: { name: string; version: string; dependencies: Record<string, string> },
  arch: string,
  load: LoadVersions,
  known: Map<string, Demand[]>,
  mayRestart: boolean,
): Promise<Pass> {
  const nodes = new Map<string, GraphNode>([[root.name, { name: root.name, version: root.version, depth: 0 }]]);
  const edges: GraphEdge[] = [];
  const problems: string[] = [];
  const demands = new Map<string, Demand[]>([...known].map(([k, v]) => [k, [...v]]));
  const queue: { name: string; version: string; dependencies: Record<string, string>; depth: number }[] = [{ ...root, depth: 0 }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const by = `${next.name}@${next.version}`;
    for (const [dep, range] of Object.entries(next.dependencies).sort(([a], [b]) => a.localeCompare(b))) {
      edges.push({ from: next.name, to: dep, range });
      const list = demands.get(dep) ?? [];
      if (!list.some((d) => d.range === range && d.by === by)) list.push({ range, by });
      demands.set(dep, list);
      const versions = await load(dep);
      const seen = nodes.get(dep);
      if (seen !== undefined) {
        if (seen.version === null || semver.satisfies(seen.version, range)) continue;
        if (mayRestart && versions !== null && pick(versions, list, arch) !== null) return { retry: { name: dep, demands: list } };
        problems.push(versions === null ? `${dep} is not in this registry` : whyNone(dep, versions, list, arch));
        continue;
      }
      if (versions === null) {
        nodes.set(dep, { name: dep, version: null, depth: next.depth + 1 });
        problems.push(`${dep} is not in this registry (required by ${by} as ${range})`);
        continue;
      }
      const chosen = pick(versions, list, arch);
      nodes.set(dep, { name: dep, version: chosen, depth: next.depth + 1 });
      if (chosen === null) {
        problems.push(whyNone(dep, versions, list, arch));
        continue;
      }
      queue.push({ name: dep, version: chosen, dependencies: versions[chosen]!.dependencies, depth: next.depth + 1 });
    }
  }
  return { graph: { nodes: [...nodes.values()], edges, problems } };
}
