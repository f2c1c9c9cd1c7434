import { dirname, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { UniError } from '../../../schemas/errors.js';
import { parsePackageName, parseSpec, type PackageSpec } from '../../../schemas/names.js';
import type { Lockfile } from '../../lockfile.js';
import type { ProjectConfig } from '../../merge/config.js';
import { archOption, userArg } from '../errors.js';
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

export function registerManifestCommand(program: Command): void {
  program
    .command('manifest')
    .description("merge config.json and its resolved packages into one image manifest (nanos mkfs's tuple, or JSON)")
    .option('-c, --config <file>', "the project's config.json", 'config.json')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .option('--format <format>', 'nanos (the tuple mkfs reads on stdin) or json', 'nanos')
    .option('-o, --output <file>', 'write the manifest to FILE (replaced only when everything succeeded) instead of stdout')
    .option('-p, --package <spec...>', 'also depend on these packages (redis@^7, eyberg/node:20.5.0), like ops pkg load; or use a package folder or .tar.gz on this machine (./dir, ./pkg.tar.gz) without publishing it')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .addHelpText('after', '\nThe merge rules are in docs/merge.md. Exit codes: 0 ok, 1 failure, 2 usage.')
    .action(async (opts: ManifestOptions) => {
      const format = parseFormat(opts.format);
      const arch = archOption(opts.arch);
      const { isLocalPackage, localPackage } = await import('../../install/local-package.js');
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
      const config = withPackages(readProjectConfig(configPath), [...packages, ...localDeps]);
      const { lockForConfig } = await import('../../lock.js');
      const lock = await lockForConfig(config, dirname(configPath), { arch, source: session.source, registry: session.config.registry, warn });
      const { solution, digests } = pinned(lock);
      for (const [i, l] of locals.entries()) {
        if (solution[l.name] !== undefined) {
          throw new UniError('usage', `-p ${paths[i]}: ${l.name} is also needed from the registry (${l.name}@${solution[l.name]}); give one or the other`);
        }
      }
      const { installSolution } = await import('../../install/get.js');
      const { createProgress } = await import('../../progress.js');
      const installed = [...(await installSolution(session, solution, arch, (n) => createProgress(process.stderr, n), digests)), ...locals];
      const { buildImageManifest } = await import('../../merge/build.js');
      // A local package is a direct dependency of the image, as `ops pkg load --local` makes it.
      const direct = { ...config, Dependencies: { ...config.Dependencies, ...Object.fromEntries(locals.map((l) => [l.name, l.version])) } };
      const manifest = await buildImageManifest(direct, dirname(configPath), installed, arch);
      const { writeJsonManifest } = await import('../../merge/json.js');
      const { writeNanosManifest } = await import('../../merge/nanos.js');
      const text = format === 'json' ? writeJsonManifest(manifest) : writeNanosManifest(manifest);
      for (const note of manifest.notes) warn(note);
      const { writeFileAtomic } = await import('../../cache/atomic.js');
      if (opts.output) writeFileAtomic(resolvePath(opts.output), text);
      else process.stdout.write(text);
    });
}
