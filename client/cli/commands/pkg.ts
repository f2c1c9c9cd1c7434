import type { Command } from 'commander';
import { UniError } from '../../../protocol/errors.js';
import { parseSpec } from '../../../protocol/names.js';
import { archOption, userArg } from '../errors.js';
import { printJson, printLines, table, warn } from './output.js';
import { printListing, withListingOptions, type ListingOptions } from './registry-listing.js';

interface GetOptions {
  arch?: string;
  ops?: boolean;
  offline?: boolean;
  json?: boolean;
  registry?: string;
}

/** `uni pkg get` and `uni pkg list`: the local side of packages. */
export function registerPkgCommands(pkg: Command): void {
  pkg
    .command('get')
    .description('resolve packages with their dependencies, download, verify and extract them into the cache')
    .argument('<spec...>', 'redis, redis@^7, eyberg/node@20, eyberg/node:20.5.0 or node_20.5.0')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .option('--ops', 'also copy each package where `ops pkg load --local` finds it ($OPS_HOME/.ops/local_packages/<amd64|arm64>/)')
    .option('--json', 'print name, version, arch, digest and path of each package as JSON')
    .addHelpText('after', '\nPrints where each package\'s extracted tree is. Exit codes: 0 ok, 1 failure, 2 usage.')
    .action(async (specs: string[], opts: GetOptions) => {
      const parsed = specs.map((s) => userArg(parseSpec, s));
      const arch = archOption(opts.arch);
      const { commandSession } = await import('./session.js');
      const { getPackages } = await import('../../fetch/get.js');
      const { createProgress } = await import('../../progress.js');
      const { resolve } = await import('../../resolver/index.js');
      const session = commandSession(opts);
      const installed = await getPackages({
        session,
        specs: parsed,
        arch,
        resolve,
        progress: (n) => createProgress(process.stderr, n),
      });
      let ops: Array<{ path: string; load: string }> | null = null;
      if (opts.ops) {
        const { layForOps, opsHome } = await import('../../fetch/ops-local.js');
        ops = installed.map((p) => layForOps(p, opsHome(process.env)));
      }
      if (opts.json) {
        printJson(installed.map(({ name, version, arch: a, digest, path }, i) => ({ name, version, arch: a, digest, path, ...(ops ? { ops: ops[i] } : {}) })));
      } else if (ops) {
        printLines(table(installed.map((p, i) => [p.name, p.version, p.arch, ops[i]!.path, `ops pkg load --local ${ops[i]!.load}`])));
      } else {
        printLines(table(installed.map((p) => [p.name, p.version, p.arch, p.path])));
      }
    });

  withListingOptions(
    pkg
      .command('list')
      .description('list the packages in the local cache; with --remote, those of the registry (as ops pkg list does)')
      .option('--remote', 'list the registry instead of the cache')
      .option('--registry <url>', 'with --remote: registry to use instead of the configured one')
      .option('--json', 'print JSON: name, version, arch, digest and path of each cached package; the registry\'s rows with --remote'),
  ).action(async (opts: ListingOptions & { remote?: boolean }) => {
    if (opts.remote) return printListing('', opts, 'uni pkg list --remote');
    const stray = (['arch', 'all', 'cursor', 'registry'] as const).find((k) => opts[k] !== undefined);
    if (stray) throw new UniError('usage', `--${stray} lists the registry: add --remote`);
    const { listTrees } = await import('../../cache/inventory.js');
    const { cacheLayout } = await import('../../cache/layout.js');
    const { loadConfig } = await import('../../config.js');
    const trees = listTrees(cacheLayout(loadConfig(process.env).home));
    if (opts.json) {
      printJson(trees.map(({ name, version, arch, digest, path }) => ({ name, version, arch, digest, path })));
    } else {
      printLines(table(trees.map((t) => [t.name, t.version, t.arch, t.digest.slice(0, 19), t.path])));
      if (trees.length === 0) warn('no packages in the cache; uni pkg get <name> fetches one, uni pkg list --remote lists the registry');
    }
  });
}
