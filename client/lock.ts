import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Arch } from '../schemas/names.js';
import { buildLockfile, LOCKFILE_NAME, readLockfile, writeLockfile, type Lockfile } from './lockfile.js';
import { readProjectConfig } from './merge/config.js';
import { resolve } from './resolver/index.js';
import type { PackageSource } from './types.js';

export interface LockOptions {
  configPath: string;
  arch: Arch;
  source: PackageSource;
  /** What the lockfile records as where versions came from: a registry URL or file:<index>. */
  registry: string;
  warn: (message: string) => void;
}

export interface LockResult {
  path: string;
  solution: Record<string, string>;
  lockfile: Lockfile;
}

/**
 * Resolves a project's Dependencies (and Overrides) and writes uni.lock beside its config.
 * Versions of an existing uni.lock for the same architecture and registry are preferred, so
 * re-locking changes only what has to change. Nothing is written when resolution fails.
 */
export async function lockProject(opts: LockOptions): Promise<LockResult> {
  const config = readProjectConfig(opts.configPath);
  const path = join(dirname(opts.configPath), LOCKFILE_NAME);
  const locked = previousVersions(path, opts);
  const solution = await resolve({
    root: config.Dependencies ?? {},
    ...(config.Overrides ? { overrides: config.Overrides } : {}),
    arch: opts.arch,
    source: opts.source,
    locked,
    rootName: 'config.json',
  });
  const lockfile = await buildLockfile(solution, opts.source, opts.arch, opts.registry);
  writeLockfile(path, lockfile);
  return { path, solution, lockfile };
}

function previousVersions(path: string, opts: LockOptions): Record<string, string> {
  if (!existsSync(path)) return {};
  try {
    const previous = readLockfile(path);
    if (previous.arch !== opts.arch || previous.registry !== opts.registry) return {};
    return Object.fromEntries(Object.entries(previous.packages).map(([name, p]) => [name, p.version]));
  } catch (e) {
    opts.warn(`ignoring the existing ${LOCKFILE_NAME}: ${(e as Error).message}`);
    return {};
  }
}
