import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UniError } from '../protocol/errors.js';
import type { Arch } from '../protocol/names.js';
import { checkDigests, lockMisfit, yankedLocked } from './lock-fit.js';
import { buildLockfile, LOCKFILE_NAME, readLockfile, serializeLockfile, writeLockfile, type Lockfile } from './lockfile.js';
import { readProjectConfig, type ProjectConfig } from './merge/config.js';
import type { PackageSource } from './types.js';

/** Where versions come from and where notes go, for `uni lock` and `uni manifest` alike. */
export interface LockContext {
  arch: Arch;
  source: PackageSource;
  /** Where versions come from now: a registry URL or file:<index>. A new lock records it. */
  registry: string;
  warn: (message: string) => void;
  /** Use uni.lock as it stands or fail, naming what does not fit; never resolve again (--frozen, CI). */
  frozen: boolean;
}

export interface ProjectLockOptions extends LockContext {
  configPath: string;
  /** Packages to move to the newest versions that fit (`uni lock --update`): 'all', or canonical names. */
  update?: 'all' | string[];
}

/** The lock a command settled on; written only by `write`, once the whole command has succeeded. */
export interface LockPlan {
  path: string;
  lockfile: Lockfile;
  solution: Record<string, string>;
  /** False when uni.lock already says this, byte for byte: nothing to write. */
  changed: boolean;
  write(): void;
}

/**
 * `uni lock`: resolves a project's Dependencies (and Overrides) into uni.lock beside its
 * config. Versions of an existing uni.lock for the same architecture are preferred (except
 * those `update` names), so re-locking changes only what has to change.
 */
export async function lockProject(opts: ProjectLockOptions): Promise<LockPlan> {
  const config = readProjectConfig(opts.configPath);
  const path = join(dirname(opts.configPath), LOCKFILE_NAME);
  const existing = readExisting(path, opts.warn);
  const moving = new Set(opts.update === 'all' ? Object.keys(existing?.packages ?? {}) : (opts.update ?? []));
  for (const name of moving) {
    if (!existing?.packages[name]) throw new UniError('usage', `--update ${name}: ${LOCKFILE_NAME} has no ${name}`);
  }
  if (opts.frozen) return frozenPlan(config, path, existing, opts);
  return relock(config, path, existing, moving, opts);
}

/**
 * `uni manifest`: uni.lock as it stands when it still fits the config (see lockMisfit), else
 * resolved again as `uni lock` does, preferring the locked versions, unless frozen.
 */
export async function lockForConfig(config: ProjectConfig, configDir: string, ctx: LockContext): Promise<LockPlan> {
  const path = join(configDir, LOCKFILE_NAME);
  const existing = readExisting(path, ctx.warn);
  if (ctx.frozen) return frozenPlan(config, path, existing, ctx);
  if (existing) {
    const misfit = await lockMisfit(existing, requirements(config, ctx.arch), ctx.source);
    if (misfit === null) return settle(existing, path, existing, new Set(), ctx);
    ctx.warn(`${LOCKFILE_NAME} ${misfit}: resolving again`);
  }
  return relock(config, path, existing, new Set(), ctx);
}

function requirements(config: ProjectConfig, arch: Arch) {
  return { root: config.Dependencies ?? {}, overrides: config.Overrides ?? {}, arch };
}

async function frozenPlan(config: ProjectConfig, path: string, existing: Lockfile | undefined, ctx: LockContext): Promise<LockPlan> {
  if (!existing) {
    throw new UniError('lock_frozen', `no ${LOCKFILE_NAME} beside the config, and --frozen (or CI) forbids making one: run \`uni lock\` and commit ${LOCKFILE_NAME}`);
  }
  const misfit = await lockMisfit(existing, requirements(config, ctx.arch), ctx.source);
  if (misfit !== null) {
    throw new UniError('lock_frozen', `${LOCKFILE_NAME} ${misfit}; --frozen (or CI) uses it as it stands instead of resolving again: run \`uni lock\` and commit ${LOCKFILE_NAME}`);
  }
  return settle(existing, path, existing, new Set(), ctx);
}

async function relock(config: ProjectConfig, path: string, existing: Lockfile | undefined, moving: ReadonlySet<string>, ctx: LockContext): Promise<LockPlan> {
  // Loaded only here: a uni manifest whose uni.lock fits never resolves.
  const { resolve } = await import('./resolver/index.js');
  const reuse = existing && existing.arch === ctx.arch ? existing.packages : {};
  const solution = await resolve({
    ...requirements(config, ctx.arch),
    source: ctx.source,
    locked: Object.fromEntries(Object.entries(reuse).filter(([name]) => !moving.has(name)).map(([name, p]) => [name, p.version])),
    rootName: 'config.json',
  });
  return settle(await buildLockfile(solution, ctx.source, ctx.arch, ctx.registry), path, existing, moving, ctx);
}

/**
 * The plan for `lockfile`: its digests checked against the lock it replaces, a note when the
 * registry differs from the one the lock was made against, a warning per yanked version. A
 * lock whose packages did not change is kept as it is, registry field included, so that
 * switching between a registry and its mirror never rewrites it.
 */
async function settle(lockfile: Lockfile, path: string, existing: Lockfile | undefined, moving: ReadonlySet<string>, ctx: LockContext): Promise<LockPlan> {
  let kept = lockfile;
  if (existing && existing.arch === lockfile.arch) {
    const fresh = lockfile === existing ? await buildLockfile(versionsOf(existing), ctx.source, ctx.arch, ctx.registry) : lockfile;
    checkDigests(existing, fresh, ctx.registry, moving);
    if (existing.registry !== ctx.registry) {
      ctx.warn(`${LOCKFILE_NAME} was made against ${existing.registry}; using it with ${ctx.registry}, which serves the same digests`);
    }
    if (serializeLockfile({ ...lockfile, registry: existing.registry }) === serializeLockfile(existing)) kept = existing;
  }
  for (const note of await yankedLocked(kept, ctx.source)) ctx.warn(`warning: ${note}`);
  const changed = kept !== existing;
  return {
    path,
    lockfile: kept,
    solution: versionsOf(kept),
    changed,
    write: () => {
      if (changed) writeLockfile(path, kept);
    },
  };
}

function versionsOf(lock: Lockfile): Record<string, string> {
  return Object.fromEntries(Object.entries(lock.packages).map(([name, p]) => [name, p.version]));
}

/** A uni.lock that cannot be read is set aside with a warning, and written anew. */
function readExisting(path: string, warn: (message: string) => void): Lockfile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readLockfile(path);
  } catch (e) {
    warn(`ignoring the existing ${LOCKFILE_NAME}: ${(e as Error).message}`);
    return undefined;
  }
}
