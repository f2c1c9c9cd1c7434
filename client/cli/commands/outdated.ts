import { dirname, join, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { UniError } from '../../../protocol/errors.js';
import { archOption } from '../errors.js';
import { printJson, printLines, table } from './output.js';

interface OutdatedOptions {
  config: string;
  arch?: string;
  json?: boolean;
  offline?: boolean;
  registry?: string;
}

async function runOutdated(opts: OutdatedOptions): Promise<void> {
  const arch = archOption(opts.arch);
  const configPath = resolvePath(opts.config);
  const { readProjectConfig } = await import('../../merge/config.js');
  const config = readProjectConfig(configPath);
  const { LOCKFILE_NAME, readLockfile } = await import('../../lockfile.js');
  const { existsSync } = await import('node:fs');
  const lockPath = join(dirname(configPath), LOCKFILE_NAME);
  if (!existsSync(lockPath)) throw new UniError('not_found', `no ${LOCKFILE_NAME} beside ${opts.config}: run \`uni lock\` first`);
  const lock = readLockfile(lockPath);
  if (lock.arch !== arch) throw new UniError('usage', `${LOCKFILE_NAME} is for ${lock.arch}; pass --arch ${lock.arch}`);
  const { commandSession } = await import('./session.js');
  const session = commandSession(opts);
  const { isBehind, outdatedPackages } = await import('../../outdated.js');
  const rows = await outdatedPackages(lock, { root: config.Dependencies ?? {}, overrides: config.Overrides ?? {}, arch }, session.source);
  const behind = rows.filter(isBehind);
  if (opts.json) printJson(Object.fromEntries(behind.map((r) => [r.name, { locked: r.locked, wanted: r.wanted, latest: r.latest }])));
  else if (behind.length > 0) {
    printLines(table([['Package', 'Locked', 'Wanted', 'Latest'], ...behind.map((r) => [r.name, r.locked, r.wanted ?? '-', r.latest ?? '-'])]));
  }
  // As npm outdated: 1 when something is behind, so that a script can tell.
  if (behind.length > 0) process.exitCode = 1;
}

export function registerOutdatedCommand(program: Command): void {
  program
    .command('outdated')
    .description('show locked packages that have newer versions: locked, wanted (newest the ranges allow) and latest')
    .option('-c, --config <file>', "the project's config.json", 'config.json')
    .option('--arch <arch>', "uni.lock's architecture: x86_64 (amd64) or aarch64 (arm64); default: this machine")
    .option('--json', 'print {"NAME": {"locked", "wanted", "latest"}} for each package that is behind')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .addHelpText('after', '\n`uni lock --update NAME` moves NAME to its wanted version. Exit codes: 0 all current, 1 some are behind (or a failure), 2 usage.')
    .action((opts: OutdatedOptions) => runOutdated(opts));
}
