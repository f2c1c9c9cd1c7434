import { existsSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { UniError } from '../../../schemas/errors.js';
import { parseArch, parseSpec, type Arch } from '../../../schemas/names.js';
import { hostArch } from '../../arch.js';
import { writeFileAtomic } from '../../cache/atomic.js';
import { installSolution } from '../../install/get.js';
import { buildLockfile, LOCKFILE_NAME, readLockfile, writeLockfile, type Lockfile } from '../../lockfile.js';
import { buildImageManifest } from '../../merge/build.js';
import { readProjectConfig, type ProjectConfig } from '../../merge/config.js';
import { writeJsonManifest } from '../../merge/json.js';
import { lockMisfit } from '../../merge/lock-fit.js';
import { writeNanosManifest } from '../../merge/nanos.js';
import { createProgress } from '../../progress.js';
import { openSession, type Session } from '../../registry/session.js';
import { warn } from './output.js';

interface ManifestOptions {
  config: string;
  arch?: string;
  format: string;
  output?: string;
  offline?: boolean;
  registry?: string;
  package?: string[];
}

const FORMATS = ['nanos', 'json'] as const;
type Format = (typeof FORMATS)[number];

function parseFormat(input: string): Format {
  const format = FORMATS.find((f) => f === input.toLowerCase());
  if (!format) throw new UniError('usage', `unknown format "${input}": use nanos (mkfs's tuple) or json`);
  return format;
}

/**
 * `-p node@^20` adds a dependency without editing config.json, as `ops pkg load node -c
 * config.json` does, so that an ops config without Dependencies works as it stands.
 */
function withPackages(config: ProjectConfig, specs: readonly string[]): ProjectConfig {
  if (specs.length === 0) return config;
  const dependencies = { ...(config.Dependencies ?? {}) };
  for (const spec of specs.map(parseSpec)) {
    const had = dependencies[spec.name.full];
    if (had !== undefined && had !== spec.range) {
      throw new UniError('usage', `-p ${spec.name.full}@${spec.range}: config.json already asks for ${spec.name.full} ${had}`);
    }
    dependencies[spec.name.full] = spec.range;
  }
  return { ...config, Dependencies: dependencies };
}

/** A uni.lock that cannot be read is set aside, as `uni lock` does, and written anew. */
function readPrevious(path: string): Lockfile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readLockfile(path);
  } catch (e) {
    warn(`ignoring ${path}: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Which version of each package the image holds, and the digest each archive must have:
 * uni.lock's when it still fits the config, else a fresh resolution (preferring the locked
 * versions), which is written to uni.lock.
 */
async function chooseVersions(
  config: ProjectConfig,
  configDir: string,
  arch: Arch,
  session: Session,
): Promise<{ solution: Record<string, string>; digests: Record<string, string> }> {
  const path = join(configDir, LOCKFILE_NAME);
  const registry = session.config.registry;
  const root = config.Dependencies ?? {};
  const overrides = config.Overrides ?? {};
  const previous = readPrevious(path);
  let lock: Lockfile | undefined;
  if (previous) {
    const misfit = await lockMisfit(previous, { root, overrides, arch, registry }, session.source);
    if (misfit === null) lock = previous;
    else warn(`${LOCKFILE_NAME} ${misfit}: resolving again`);
  }
  if (!lock) {
    const { resolve } = await import('../../resolver/index.js');
    const reuse = previous && previous.arch === arch && previous.registry === registry ? previous.packages : {};
    const solution = await resolve({
      root,
      overrides,
      arch,
      source: session.source,
      locked: Object.fromEntries(Object.entries(reuse).map(([name, p]) => [name, p.version])),
      rootName: 'config.json',
    });
    lock = await buildLockfile(solution, session.source, arch, registry);
    writeLockfile(path, lock);
  }
  const solution: Record<string, string> = {};
  const digests: Record<string, string> = {};
  for (const [name, p] of Object.entries(lock.packages)) {
    solution[name] = p.version;
    if (p.digest) digests[name] = p.digest;
  }
  return { solution, digests };
}

export function registerManifestCommand(program: Command): void {
  program
    .command('manifest')
    .description("merge config.json and its resolved packages into one image manifest (nanos mkfs's tuple, or JSON)")
    .option('-c, --config <file>', "the project's config.json", 'config.json')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .option('--format <format>', 'nanos (the tuple mkfs reads on stdin) or json', 'nanos')
    .option('-o, --output <file>', 'write the manifest to FILE (replaced only when everything succeeded) instead of stdout')
    .option('-p, --package <spec...>', 'also depend on these packages (redis@^7, eyberg/node:20.5.0), like ops pkg load')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .addHelpText('after', '\nThe merge rules are in docs/merge.md. Exit codes: 0 ok, 1 failure, 2 usage.')
    .action(async (opts: ManifestOptions) => {
      const format = parseFormat(opts.format);
      const arch = opts.arch ? parseArch(opts.arch) : hostArch();
      const configPath = resolvePath(opts.config);
      const config = withPackages(readProjectConfig(configPath), opts.package ?? []);
      const session = openSession({ env: process.env, ...(opts.registry ? { registry: opts.registry } : {}), offline: opts.offline ?? false, warn });
      const { solution, digests } = await chooseVersions(config, dirname(configPath), arch, session);
      const installed = await installSolution(session, solution, arch, (n) => createProgress(process.stderr, n), digests);
      const manifest = await buildImageManifest(config, dirname(configPath), installed, arch);
      const text = format === 'json' ? writeJsonManifest(manifest) : writeNanosManifest(manifest);
      for (const note of manifest.notes) warn(note);
      if (opts.output) writeFileAtomic(resolvePath(opts.output), text);
      else process.stdout.write(text);
    });
}
