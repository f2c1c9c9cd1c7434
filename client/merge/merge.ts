import { UniError } from '../../protocol/errors.js';
import { canonicalName, type Arch } from '../../protocol/names.js';
import type { InstalledPackage } from '../types.js';
import type { PassthroughValue, ProjectConfig } from './config.js';
import type { Placement } from './placements.js';
import { mergeSetting, type DependsOn, type Layer } from './precedence.js';
import type { Entry } from './scan.js';
import { emptyRoot, joinImagePath, lookup, place, splitImagePath, type DirNode, type FileNode } from './tree.js';

export interface PackageInput {
  pkg: InstalledPackage;
  placements: Placement[];
}

/** Everything the merge needs, already read from disk: the merge itself touches nothing. */
export interface MergeInput {
  config: ProjectConfig;
  arch: Arch;
  packages: PackageInput[];
  /** Files, Dirs and MapDirs of the config. */
  userFiles: Placement[];
  /** The klib files found in the config's KlibDir, by klib name. */
  klibFiles: Map<string, Entry>;
  /** Files ops writes into every image (resolv.conf, hostname, passwd), laid over the packages' and under the user's. */
  defaultFiles: { placement: Placement; onlyIfAbsent: boolean }[];
  /** Environment ops gives every program (USER, PWD, NANOS_ARCH, ...); the packages' and the config's Env win. */
  defaultEnv: Record<string, string>;
}

/** The merged image, in a form both writers (nanos tuple, JSON) read. */
export interface ImageManifest {
  arch: Arch;
  root: DirNode;
  program: string;
  arguments: string[];
  environment: Record<string, string>;
  cwd: string;
  klibs: string[];
  /** Klib name to its file, laid in the boot file system. */
  boot: Map<string, FileNode>;
  mounts: Record<string, string>;
  /** Further keys of the root tuple: ManifestPassthrough, Debugflags, RebootOnExit, NoTrace. */
  settings: Record<string, PassthroughValue>;
  baseVolumeSize?: string;
  packages: { name: string; version: string; digest: string }[];
  /** What ops would put in the image and uni does not (a package's Files, Dirs, MapDirs), for stderr. */
  notes: string[];
}

/** Root keys the manifest writes itself; ManifestPassthrough may not replace them. */
const OWN_KEYS = new Set(['children', 'program', 'arguments', 'environment', 'klibs', 'boot', 'mounts']);

function labelOf(pkg: InstalledPackage): string {
  return `${canonicalName(pkg.name)}@${pkg.version}`;
}

/** Transitive "needs", from each package's declared dependencies. */
function dependencyTest(packages: readonly InstalledPackage[]): DependsOn {
  const direct = new Map(packages.map((p) => [canonicalName(p.name), Object.keys(p.dependencies).map(canonicalName)]));
  const closure = new Map<string, Set<string>>();
  const reach = (name: string): Set<string> => {
    let seen = closure.get(name);
    if (seen) return seen;
    seen = new Set();
    closure.set(name, seen);
    const stack = [...(direct.get(name) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(direct.get(next) ?? []));
    }
    return seen;
  };
  return (dependent, dependency) => reach(dependent).has(dependency);
}

function layersOf<T>(packages: readonly InstalledPackage[], pick: (p: InstalledPackage) => T | undefined): Layer<T>[] {
  const out: Layer<T>[] = [];
  for (const p of packages) {
    const value = pick(p);
    if (value !== undefined) out.push({ owner: canonicalName(p.name), label: labelOf(p), value });
  }
  return out;
}

/**
 * Where a package's Program is in the image. A relative one (`lua_5.2.4/lua`) names a file of the
 * package's top folder by its last part, which ops lays, and runs, at `/<last part>`.
 */
export function packageProgramPath(program: string): string {
  if (program.startsWith('/')) return program;
  return `/${program.split('/').filter((p) => p !== '').pop() ?? ''}`;
}

/** The config's Program, or the one direct dependency that declares one. */
function chooseProgram(config: ProjectConfig, packages: readonly InstalledPackage[]): { path: string; from: string } {
  if (config.Program !== undefined) return { path: config.Program, from: 'config.json' };
  const direct = new Set(Object.keys(config.Dependencies ?? {}));
  const candidates = packages.filter((p) => direct.has(canonicalName(p.name)) && p.manifest.Program !== undefined);
  if (candidates.length === 1) return { path: packageProgramPath(candidates[0]!.manifest.Program!), from: labelOf(candidates[0]!) };
  if (candidates.length === 0) {
    const names = [...direct].join(', ') || 'none';
    throw new UniError('no_program', `no program to run: set Program in config.json, or depend directly on a package that declares one (direct dependencies: ${names})`);
  }
  const named = candidates.map((p) => `${labelOf(p)} (${p.manifest.Program})`).join(' and ');
  throw new UniError('ambiguous_program', `${named} each declare a program; set Program in config.json to choose one`);
}

/** ops writes a debug flag `name:value` as the root key `name` with that value, and a plain `name` as `name:t`. */
function debugSettings(flags: readonly string[]): [string, string][] {
  return flags.map((f) => {
    const colon = f.indexOf(':');
    return colon > 0 ? [f.slice(0, colon), f.slice(colon + 1)] : [f, 't'];
  });
}

function union(lists: readonly (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((l) => l ?? []))].sort();
}

/**
 * Klibs: the union of the config's and every package's, with those ops adds for what needs
 * them: RADAR_KEY in Env needs tls and radar, a firewall setting the firewall klib, and
 * cloud_init needs tls.
 */
export function klibNames(config: ProjectConfig, packages: readonly InstalledPackage[]): string[] {
  const named = union([config.Klibs, ...packages.map((p) => p.manifest.Klibs)]);
  const envKeys = new Set([config.Env, ...packages.map((p) => p.manifest.Env)].flatMap((e) => Object.keys(e ?? {})));
  const passthroughKeys = new Set([config.ManifestPassthrough, ...packages.map((p) => p.manifest.ManifestPassthrough)].flatMap((e) => Object.keys(e ?? {})));
  const implied = [
    ...(envKeys.has('RADAR_KEY') ? ['tls', 'radar'] : []),
    ...(passthroughKeys.has('firewall') ? ['firewall'] : []),
    ...(named.includes('cloud_init') ? ['tls'] : []),
  ];
  return union([named, implied]);
}

/** The root tuple's further keys: Debugflags, reboot_on_exit, notrace, then ManifestPassthrough over them. */
function rootSettings(
  config: ProjectConfig,
  installed: readonly InstalledPackage[],
  passthrough: Record<string, PassthroughValue>,
): Record<string, PassthroughValue> {
  const settings: Record<string, PassthroughValue> = Object.fromEntries(
    debugSettings(union([config.Debugflags, ...installed.map((p) => p.manifest.Debugflags)])),
  );
  const reboot = config.RebootOnExit ?? installed.some((p) => p.manifest.RebootOnExit === true);
  if (reboot) settings['reboot_on_exit'] = 't';
  const notrace = union([config.NoTrace, ...installed.map((p) => p.manifest.NoTrace)]);
  if (notrace.length > 0) settings['notrace'] = notrace;
  for (const [key, value] of Object.entries(passthrough)) {
    Object.defineProperty(settings, key, { value, enumerable: true, writable: true, configurable: true });
  }
  for (const key of Object.keys(settings)) {
    if (OWN_KEYS.has(key)) {
      throw new UniError('bad_config', `ManifestPassthrough or Debugflags sets "${key}", which uni writes itself; use the config key for it instead`);
    }
  }
  return settings;
}

/** Each klib's file for the boot file system; a klib without one is named with what to set. */
function klibBoot(klibs: readonly string[], config: ProjectConfig, files: Map<string, Entry>): Map<string, FileNode> {
  const boot = new Map<string, FileNode>();
  for (const name of klibs) {
    const entry = files.get(name);
    if (entry?.kind !== 'file') {
      const where = config.KlibDir === undefined ? "set KlibDir in config.json to the folder of nanos's klib binaries" : `KlibDir ${config.KlibDir} has no file "${name}"`;
      throw new UniError('bad_config', `the image needs the klib "${name}": ${where}`);
    }
    boot.set(name, { ...entry, origin: { label: `KlibDir ${config.KlibDir}` } });
  }
  return boot;
}

export function mergeImage(input: MergeInput): ImageManifest {
  const { config } = input;
  const packages = [...input.packages].sort((a, b) => (canonicalName(a.pkg.name) < canonicalName(b.pkg.name) ? -1 : 1));
  const installed = packages.map((p) => p.pkg);
  const dependsOn = dependencyTest(installed);

  const root = emptyRoot();
  for (const { placements } of packages) for (const p of placements) place(root, p.parts, p.entry, p.origin);
  for (const { placement: p, onlyIfAbsent } of input.defaultFiles) {
    if (!onlyIfAbsent || lookup(root, p.parts) === undefined) place(root, p.parts, p.entry, p.origin);
  }
  for (const p of input.userFiles) place(root, p.parts, p.entry, p.origin);

  const chosen = chooseProgram(config, installed);
  const programParts = splitImagePath(chosen.path.startsWith('/') ? chosen.path : `/${chosen.path}`, `Program of ${chosen.from}`);
  const programNode = lookup(root, programParts);
  const program = joinImagePath(programParts);
  if (programNode?.kind !== 'file') {
    const why = programNode === undefined ? 'is not in the image' : `is ${programNode.kind === 'dir' ? 'a folder' : 'a broken link'}`;
    throw new UniError('no_program', `the program ${program} (Program of ${chosen.from}) ${why}`);
  }
  const programPkg = installed.find((p) => canonicalName(p.name) === programNode.origin.package);
  const packageArgs = programPkg?.manifest.Args ?? [];
  const argv0 = packageArgs.length > 0 ? packageArgs : [programParts[programParts.length - 1]!];

  const table = (what: string, pick: (p: InstalledPackage) => Record<string, string> | undefined, mine: Record<string, string> | undefined) =>
    (mergeSetting(what, layersOf(installed, pick), mine, dependsOn) ?? {}) as Record<string, string>;
  const environment = { ...input.defaultEnv, ...table('Env', (p) => p.manifest.Env, config.Env) };
  const mounts = table('Mounts', (p) => p.manifest.Mounts, config.Mounts);
  // nanos refuses a mount point that is not a folder of the image; ops makes it (AddMount).
  for (const [label, point] of Object.entries(mounts)) {
    place(root, splitImagePath(point.split(':')[0]!, `Mounts: ${label}`), { kind: 'dir' }, { label: `Mounts: ${label}` });
  }
  const passthrough = (mergeSetting(
    'ManifestPassthrough',
    layersOf(installed, (p) => p.manifest.ManifestPassthrough as Record<string, PassthroughValue> | undefined),
    config.ManifestPassthrough,
    dependsOn,
  ) ?? {}) as Record<string, PassthroughValue>;

  const settings = rootSettings(config, installed, passthrough);
  const cwd = typeof settings['cwd'] === 'string' ? settings['cwd'] : '/';
  delete settings['cwd'];

  const klibs = klibNames(config, installed);
  const boot = klibBoot(klibs, config, input.klibFiles);

  // ops reads a package's Files, Dirs and MapDirs from the folder it runs in, the user's project.
  const notes = installed
    .filter((p) => p.manifest.Files?.length || p.manifest.Dirs?.length || Object.keys(p.manifest.MapDirs ?? {}).length)
    .map((p) => `${labelOf(p)} lists Files, Dirs or MapDirs, which ops would read from your project folder; uni lays only its sysroot/`);
  const baseVolumeSize = config.BaseVolumeSz ?? installed.find((p) => p.manifest.BaseVolumeSz !== undefined)?.manifest.BaseVolumeSz;
  for (const key of ['PackageBaseURL', 'PackageManifestURL'] as const) {
    if (config[key] !== undefined) {
      notes.push(`${key} is not used: packages come from the uni registry (UNI_REGISTRY, --registry or \`uni login --registry\`), not from ops's package server`);
    }
  }

  return {
    arch: input.arch,
    root,
    program,
    arguments: [...argv0, ...(config.Args ?? [])],
    environment,
    cwd,
    klibs,
    boot,
    mounts,
    settings,
    ...(baseVolumeSize !== undefined ? { baseVolumeSize } : {}),
    packages: installed.map((p) => ({ name: canonicalName(p.name), version: p.version, digest: p.digest })),
    notes,
  };
}

/**
 * ops's Args copy: the file or folder named by argv[1], read from the project folder, goes
 * into the image at that path (`{"Args":["hello.js"]}` runs /hello.js), unless
 * DisableArgsCopy. It is the user's own file: it wins over a package's.
 */
export function addArgsCopy(manifest: ImageManifest, placements: readonly Placement[]): void {
  for (const p of placements) place(manifest.root, p.parts, p.entry, p.origin);
}
