import { dirname, relative, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { isUniError, UniError } from '../../../schemas/errors.js';
import { parseArch, type Arch } from '../../../schemas/names.js';
import { hostArch } from '../../arch.js';
import type { PackageSource } from '../../types.js';
import { printJson, printLines, table, warn } from './output.js';

interface LockCommandOptions {
  config: string;
  arch?: string;
  index?: string;
  json?: boolean;
  offline?: boolean;
  registry?: string;
}

function archOf(input: string | undefined): Arch {
  if (input === undefined) return hostArch();
  try {
    return parseArch(input);
  } catch (e) {
    throw new UniError('usage', (e as Error).message);
  }
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

export function registerLockCommand(program: Command): void {
  program
    .command('lock')
    .description("resolve config.json's Dependencies for one architecture and write uni.lock beside it")
    .option('-c, --config <file>', "the project's config.json", 'config.json')
    .option('--arch <arch>', 'x86_64 (amd64) or aarch64 (arm64); default: this machine')
    .option('--index <file>', 'resolve against an index snapshot instead of a registry (docs/resolver.md)')
    .option('--json', 'print {"ok": true, "packages": {...}} or {"ok": false, "error": "..."}')
    .option('--offline', 'use the cache only; fail if something is missing')
    .option('--registry <url>', 'registry to use instead of the configured one')
    .addHelpText('after', '\nA failure explains why no versions fit and writes nothing. Exit codes: 0 ok, 1 failure, 2 usage.')
    .action(async (opts: LockCommandOptions) => {
      const arch = archOf(opts.arch);
      const configPath = resolvePath(opts.config);
      try {
        const { source, registry } = await sourceFor(opts, configPath);
        const { lockProject } = await import('../../lock.js');
        const { path, solution } = await lockProject({ configPath, arch, source, registry, warn });
        if (opts.json) printJson({ ok: true, packages: solution });
        else {
          printLines(table(Object.entries(solution)));
          warn(`wrote ${relative(process.cwd(), path) || path}`);
        }
      } catch (e) {
        if (!opts.json || !isUniError(e)) throw e;
        printJson({ ok: false, error: e.message });
        process.exitCode = e.code === 'usage' ? 2 : 1;
      }
    });
}
