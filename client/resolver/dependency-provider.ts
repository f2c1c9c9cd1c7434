import semver from 'semver';
import { isUniError, UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import type { PackageSource, PackageVersionInfo } from '../types.js';
import { LoadQueue } from './load-queue.js';
import type { Pkg } from './package.js';
import { VersionSet } from './version-set.js';

/** Documents fetched at once: enough to hide a registry's latency, few enough to stop promptly. */
const MAX_CONCURRENT_LOADS = 16;

export interface IndexOptions {
  source: PackageSource;
  arch: Arch;
  locked: Record<string, string>;
  overrides: Record<string, string>;
  rootName: string;
  rootVersion: string;
  /** The root's own requirements, overrides already applied. */
  rootDeps: Record<string, string>;
}

/**
 * The solver's view of a PackageSource: fetches each package once, turns its versions into a
 * Pkg (sorted universe, candidates for the architecture, dependencies with overrides applied),
 * and starts fetching the packages a newly seen package will likely need, so that round trips
 * to a registry overlap instead of queueing behind the solver.
 */
export class DependencyProvider {
  private readonly byName = new Map<string, Pkg>();
  private readonly pending = new Map<string, Promise<Pkg>>();
  private readonly overridden: Set<string>;
  private readonly queue = new LoadQueue(MAX_CONCURRENT_LOADS);
  private nextId = 1;
  readonly root: Pkg;

  constructor(private readonly opts: IndexOptions) {
    this.overridden = new Set(Object.keys(opts.overrides));
    const rootVersion = semver.valid(opts.rootVersion);
    if (rootVersion === null) throw new UniError('bad_version', `invalid root version "${opts.rootVersion}"`);
    const deps = depList(opts.rootDeps);
    const rootDeps = [deps, []];
    this.root = makePkg({
      id: 0,
      name: opts.rootName,
      isRoot: true,
      versions: [rootVersion, ''],
      depsOf: (version) => rootDeps[version]!,
      allowed: VersionSet.of(2, [0]),
      noArch: VersionSet.empty(2),
      yanked: VersionSet.empty(2),
      locked: -1,
      notFound: undefined,
      parsed: [semver.parse(rootVersion)!],
    });
    this.byName.set(opts.rootName, this.root);
    this.prefetch(deps.map(([name]) => name));
  }

  /** A package already loaded. */
  get(name: string): Pkg | undefined {
    return this.byName.get(name);
  }

  /** A package, fetched ahead of the prefetches still waiting. Not async: see `start`. */
  load(name: string): Promise<Pkg> {
    const known = this.byName.get(name);
    if (known) return Promise.resolve(known);
    const pending = this.pending.get(name);
    if (pending) {
      this.queue.hurry(name);
      return pending;
    }
    const started = this.start(name);
    this.queue.hurry(name);
    return started;
  }

  async loadAll(names: readonly string[]): Promise<Pkg[]> {
    return Promise.all(names.map((n) => this.load(n)));
  }

  /** The solve is over: no fetch that has not started yet will. */
  stop(): void {
    this.queue.stop(new UniError('cancelled', 'the resolution ended before this package was fetched'));
  }

  private prefetch(names: Iterable<string>): void {
    for (const n of names) if (!this.byName.has(n) && !this.pending.has(n)) this.start(n);
  }

  /**
   * The one promise of a package's fetch. Nobody may await a prefetch, so its failure is
   * marked handled here; whoever awaits it later still sees the error. Callers get this very
   * promise (never one wrapped by an async function), or a failed prefetch would reject a
   * promise nobody handles and end the process after its work was done.
   */
  private start(name: string): Promise<Pkg> {
    const p = this.fetch(name);
    this.pending.set(name, p);
    p.catch(() => undefined);
    return p;
  }

  private async fetch(name: string): Promise<Pkg> {
    await this.queue.turn(name);
    let infos: PackageVersionInfo[];
    let notFound: string | undefined;
    try {
      infos = await this.opts.source.versions(name);
    } catch (e) {
      if (!isUniError(e) || e.code !== 'not_found') throw e;
      infos = [];
      notFound = e.message;
    } finally {
      this.queue.done();
    }
    const pkg = this.build(name, infos, notFound);
    this.byName.set(name, pkg);
    this.pending.delete(name);
    // The newest candidate and the locked version are the ones the solver tries first.
    const best = pkg.locked >= 0 && pkg.allowed.has(pkg.locked) ? pkg.locked : pkg.allowed.highest();
    if (best >= 0) this.prefetch(pkg.depsOf(best).map(([n]) => n));
    return pkg;
  }

  private build(name: string, infos: PackageVersionInfo[], notFound: string | undefined): Pkg {
    const entries = infos.map((info) => {
      const v = parseVersion(info.version);
      if (v === null) throw new UniError('bad_version', `${name} lists an invalid version "${info.version}"`);
      return { v, info };
    });
    // Registries list versions in order: one pass checks that, and the sort is for the rest.
    if (!ascending(entries)) entries.sort((a, b) => a.v.compare(b.v));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i - 1]!.v.compare(entries[i]!.v) === 0) {
        throw new UniError('bad_version', `${name} lists version ${entries[i]!.v.version} twice`);
      }
    }
    const n = entries.length;
    const lockedVersion = this.opts.locked[name];
    const locked = lockedVersion === undefined ? -1 : entries.findIndex((e) => e.v.version === semver.valid(lockedVersion));
    const allowed: number[] = [];
    const noArch: number[] = [];
    const yanked: number[] = [];
    entries.forEach((e, i) => {
      if (!e.info.arches.includes(this.opts.arch)) noArch.push(i);
      else if (e.info.yanked && i !== locked) yanked.push(i);
      else allowed.push(i);
    });
    const deps: Array<ReadonlyArray<readonly [string, string]> | undefined> = new Array(n);
    return makePkg({
      id: this.nextId++,
      name,
      isRoot: false,
      versions: entries.map((e) => e.v.version),
      depsOf: (version) => (deps[version] ??= this.dependenciesOf(entries[version]!.info.dependencies, name)),
      allowed: VersionSet.of(n, allowed),
      noArch: VersionSet.of(n, noArch),
      yanked: VersionSet.of(n, yanked),
      locked,
      notFound,
      parsed: entries.map((e) => e.v),
    });
  }

  /**
   * An override replaces every other constraint on its package, so other packages' ranges on
   * it are dropped (the root carries the override); an overridden package's own requirements
   * on the root are dropped too, as pub does.
   */
  private dependenciesOf(deps: Record<string, string>, owner: string): Array<readonly [string, string]> {
    if (this.overridden.size === 0) return depList(deps);
    const out = depList(deps).filter(([dep]) => !this.overridden.has(dep));
    return this.overridden.has(owner) ? out.filter(([dep]) => dep !== this.opts.rootName) : out;
  }
}

/**
 * Parsed versions, shared across packages: registries repeat the same version strings, and
 * parsing is most of the cost of reading a package with hundreds of versions. Nothing mutates
 * a SemVer here, so sharing is safe; the cap keeps a long-lived process from growing without end.
 */
const parsedVersions = new Map<string, semver.SemVer | null>();

function parseVersion(version: string): semver.SemVer | null {
  let parsed = parsedVersions.get(version);
  if (parsed === undefined) {
    if (parsedVersions.size >= 100_000) parsedVersions.clear();
    parsed = semver.parse(version);
    parsedVersions.set(version, parsed);
  }
  return parsed;
}

function ascending(entries: ReadonlyArray<{ v: semver.SemVer }>): boolean {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1]!.v.compare(entries[i]!.v) > 0) return false;
  return true;
}

/** In the order they were written, as pub does: explanations then list them in that order too. */
function depList(deps: Record<string, string>): Array<readonly [string, string]> {
  return Object.entries(deps);
}

function makePkg(fields: Omit<Pkg, 'rangeSets' | 'listed'>): Pkg {
  // Fields assigned one by one, in one order, so that every Pkg has the same hidden class.
  return {
    id: fields.id,
    name: fields.name,
    isRoot: fields.isRoot,
    versions: fields.versions,
    depsOf: fields.depsOf,
    allowed: fields.allowed,
    noArch: fields.noArch,
    yanked: fields.yanked,
    locked: fields.locked,
    notFound: fields.notFound,
    parsed: fields.parsed,
    rangeSets: new Map(),
    listed: new Map(),
  };
}
