import { dirname, relative, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import type { PackageSource } from '../../types.js';
import { UniError } from '../../../protocol/errors.js';
import { canonicalName } from '../../../protocol/names.js';
import { archOption, exitCodeOf, messageOf, userArg } from '../errors.js';
import { isFrozen } from '../frozen.js';
import { printJson, printLines, table, warn } from './output.js';

interface LockCommandOptions {
  config: string;
  arch?: string;
  index?: string;
  json?: boolean;
  offline?: boolean;
  registry?: string;
  frozen?: boolean;
  update?: true | string[];
}

/** With --index the snapshot is the registry; the lockfile names it relative to itself so that it moves with the project. */
async function sourceFor(opts: LockCommandOptions, configPath: string): Promise<{ source: PackageSource; registry: string }> {
  if (opts.index !== undefined) {
    const { IndexSource } = await import('../../index-source.js');
    const indexPath = resolvePath(opts.index);
    return { source: IndexSource.fromFile(indexPath), registry: `file:${relative(dirname(configPath), indexPath)}` };
  }
  const { commandSession } = await import('./session.js');
  const session = commandSession(opts);
  return { source: session.source, registry: session.config.registry };
}

async function runLock(opts: LockCommandOptions): Promise<void> {
  const arch = archOption(opts.arch);
  const configPath = resolvePath(opts.config);
  const { source, registry } = await sourceFor(opts, configPath);
  const update = opts.update === undefined ? undefined : opts.update === true ? ('all' as const) : opts.update.map((n) => userArg(canonicalName, n));
  if (update !== undefined && opts.frozen === true) throw new UniError('usage', '--update moves versions and --frozen keeps them: give one or the other');
  // An explicit --update is a request to move versions, which a CI run may make too.
  const frozen = update === undefined && isFrozen(opts.frozen, process.env, configPath);
  const { lockProject } = await import('../../project-lock.js');
  const plan = await lockProject({ configPath, arch, source, registry, warn, frozen, ...(update ? { update } : {}) });
  plan.write();
  if (opts.json) printJson({ ok: true, packages: plan.solution });
  else {
    printLines(table(Object.entries(plan.solution)));
    const shown = relative(process.cwd(), plan.path) || plan.path;
    warn(plan.changed ? `wrote ${shown}` : `${shown} is up to date`);
  }
}

export function registerLockCommand(program: Command): void {
  const command = program
    .command('lock')
    .description("resolve config.json's Dependencies for one architecture and write uni.lock beside it")
    .option('-c, --config <file>', "the project's config.json", 'config.json')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .option('--index <file>', 'resolve against an index snapshot instead of a registry (docs/resolver.md)')
    .option('--json', 'print {"ok": true, "packages": {...}}, or {"ok": false, "error": "..."} on any failure')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .option('--update [packages...]', 'move these packages (all when none are named) to the newest versions that fit; the rest stay')
    .option('--frozen', 'check that uni.lock fits config.json and what the registry serves; never change it (default with CI set)')
    .option('--no-frozen', 'resolve again even with CI set')
    .addHelpText('after', '\nA failure explains why no versions fit and writes nothing. Exit codes: 0 ok, 1 failure, 2 usage.')
    .action(async (opts: LockCommandOptions) => {
      try {
        await runLock(opts);
      } catch (e) {
        // With --json every failure, a usage error or an unexpected one, is a document on stdout,
        // so that a program reading it never has to parse stderr.
        if (!opts.json) throw e;
        printJson({ ok: false, error: messageOf(e) });
        process.exitCode = exitCodeOf(e);
      }
    });
  // Commander's own errors (an unknown option, a missing value) happen before the action runs;
  // main.ts still makes them exit 2. An unknown option stops the parsing, so --json after it is
  // only in args.
  command.configureOutput({
    outputError: (str, write) => {
      if (command.opts().json || command.args.includes('--json')) printJson({ ok: false, error: str.replace(/^error: /, '').trim() });
      else write(str);
    },
  });
}
