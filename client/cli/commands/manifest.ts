import { dirname, join, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { UniError } from '../../../protocol/errors.js';
import { parsePackageName, parseSpec, type PackageSpec } from '../../../protocol/names.js';
import type { Lockfile } from '../../lockfile.js';
import type { ProjectConfig } from '../../merge/config.js';
import type { ImageManifest } from '../../merge/merge.js';
import type { ImageFacts } from '../../merge/ops-defaults.js';
import { archOption, userArg } from '../errors.js';
import { isFrozen } from '../frozen.js';
import { warn } from './output.js';

/** What every command that builds from a project's config.json takes. */
export interface ProjectOptions {
  config: string;
  arch?: string;
  offline?: boolean;
  registry?: string;
  package?: string[];
  frozen?: boolean;
}

interface ManifestOptions extends ProjectOptions {
  format: string;
  output?: string;
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
function withPackages(config: ProjectConfig, specs: readonly PackageSpec[]): ProjectConfig {
  if (specs.length === 0) return config;
  const dependencies = { ...(config.Dependencies ?? {}) };
  for (const spec of specs) {
    const had = dependencies[spec.name.full];
    if (had !== undefined && had !== spec.range) {
      throw new UniError('usage', `-p ${spec.name.full}@${spec.range}: config.json already asks for ${spec.name.full} ${had}`);
    }
    dependencies[spec.name.full] = spec.range;
  }
  return { ...config, Dependencies: dependencies };
}

/** Which version of each package the image holds, and the digest each archive must have. */
function pinned(lock: Lockfile): { solution: Record<string, string>; digests: Record<string, string> } {
  const solution: Record<string, string> = {};
  const digests: Record<string, string> = {};
  for (const [name, p] of Object.entries(lock.packages)) {
    solution[name] = p.version;
    if (p.digest) digests[name] = p.digest;
  }
  return { solution, digests };
}

/**
 * What `uni manifest` does before writing: read config.json, lock (or resolve again), get
 * every package into the cache, merge. `klibDir` is the nanos kit's klib folder, used when the
 * config names none (ops takes the klibs of the kernel it builds with).
 */
export async function mergeProject(
  opts: ProjectOptions,
  facts: ImageFacts = {},
  klibDir?: string,
): Promise<{ manifest: ImageManifest; config: ProjectConfig; writeLock: () => void }> {
  const arch = archOption(opts.arch);
  const { isLocalPackage, localPackage } = await import('../../fetch/local-package.js');
  const paths = (opts.package ?? []).filter(isLocalPackage);
  const packages = (opts.package ?? []).filter((s) => !isLocalPackage(s)).map((s) => userArg(parseSpec, s));
  const configPath = resolvePath(opts.config);
  const { readProjectConfig } = await import('../../merge/config.js');
  const { commandSession } = await import('./session.js');
  const session = commandSession(opts);
  const locals = [];
  for (const path of paths) locals.push(await localPackage(session, path, arch));
  // A local package's own dependencies come from the registry, as the project's do.
  const localDeps = locals.flatMap((l) => Object.entries(l.dependencies).map(([name, range]) => ({ name: parsePackageName(name), range })));
  const read = withPackages(readProjectConfig(configPath), [...packages, ...localDeps]);
  const config = read.KlibDir === undefined && klibDir !== undefined ? { ...read, KlibDir: klibDir } : read;
  const { lockForConfig } = await import('../../project-lock.js');
  const frozen = isFrozen(opts.frozen, process.env, configPath);
  const plan = await lockForConfig(config, dirname(configPath), { arch, source: session.source, registry: session.config.registry, warn, frozen });
  const { solution, digests } = pinned(plan.lockfile);
  for (const [i, l] of locals.entries()) {
    if (solution[l.name] !== undefined) {
      throw new UniError('usage', `-p ${paths[i]}: ${l.name} is also needed from the registry (${l.name}@${solution[l.name]}); give one or the other`);
    }
  }
  const { installSolution } = await import('../../fetch/get.js');
  const { createProgress } = await import('../../progress.js');
  const installed = [...(await installSolution(session, solution, arch, (n) => createProgress(process.stderr, n), digests)), ...locals];
  const { buildImageManifest } = await import('../../merge/build.js');
  const generatedDir = join(session.config.home, 'generated');
  // A local package is a direct dependency of the image, as `ops pkg load --local` makes it.
  const direct = { ...config, Dependencies: { ...config.Dependencies, ...Object.fromEntries(locals.map((l) => [l.name, l.version])) } };
  const manifest = await buildImageManifest(direct, dirname(configPath), installed, { arch, generatedDir, facts });
  for (const note of manifest.notes) warn(note);
  return { manifest, config, writeLock: () => plan.write() };
}

/**
 * The options of config.json's commands, shared by manifest, image build and run; `packageFlags`
 * because `uni run`'s -p is a port, as in `ops run`.
 */
export function projectOptions(command: Command, packageFlags = '--package <spec...>'): Command {
  return command
    .option('-c, --config <file>', "the project's config.json", 'config.json')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .option(packageFlags, 'also depend on these packages (redis@^7, eyberg/node:20.5.0), like ops pkg load; or use a package folder or .tar.gz on this machine (./dir, ./pkg.tar.gz) without publishing it')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .option('--frozen', 'use uni.lock as it stands; fail, naming what does not fit, instead of resolving again (default with CI set and a uni.lock)')
    .option('--no-frozen', 'resolve again when uni.lock does not fit, even with CI set');
}

export function registerManifestCommand(program: Command): void {
  projectOptions(program.command('manifest'), '-p, --package <spec...>')
    .description("merge config.json and its resolved packages into one image manifest (nanos mkfs's tuple, or JSON)")
    .option('--format <format>', 'nanos (the tuple mkfs reads on stdin) or json', 'nanos')
    .option('-o, --output <file>', 'write the manifest to FILE (replaced only when everything succeeded) instead of stdout')
    .addHelpText('after', '\nThe merge rules are in docs/merge.md. Exit codes: 0 ok, 1 failure, 2 usage.')
    .action(async (opts: ManifestOptions) => {
      const format = parseFormat(opts.format);
      const { manifest, writeLock } = await mergeProject(opts);
      const { writeJsonManifest } = await import('../../merge/json.js');
      const { writeNanosManifest } = await import('../../merge/nanos.js');
      const text = format === 'json' ? writeJsonManifest(manifest) : writeNanosManifest(manifest);
      const { writeFileAtomic } = await import('../../cache/atomic.js');
      if (opts.output) writeFileAtomic(resolvePath(opts.output), text);
      else process.stdout.write(text);
      // Last: a command that failed on the way leaves uni.lock as it was.
      writeLock();
    });
}
