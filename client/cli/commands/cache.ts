import type { Command } from 'commander';
import { durationArg } from '../../../protocol/cli.js';
import { DURATION_EXAMPLES } from '../../../protocol/duration.js';
import type { CacheLayout } from '../../cache/layout.js';
import { printJson, printLines } from './output.js';

/** The cache below UNI_HOME. */
async function layout(): Promise<CacheLayout> {
  const { loadConfig } = await import('../../config.js');
  const { cacheLayout } = await import('../../cache/layout.js');
  return cacheLayout(loadConfig(process.env).home);
}

/** `uni cache verify | clean | path`. */
export function registerCacheCommands(program: Command): void {
  const cache = program.command('cache').description('check, clean and locate the local package cache');

  cache
    .command('verify')
    .description('re-hash every archive and extracted tree; remove what is corrupt so that the next get fetches it again')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { verifyCache } = await import('../../cache/maintain.js');
      const report = await verifyCache(await layout());
      if (opts.json) printJson(report);
      else {
        printLines([
          `checked ${report.archives} archives and ${report.trees} trees`,
          ...report.removed.map((p) => `removed ${p.kind} ${p.digest}: ${p.problem}`),
        ]);
      }
    });

  cache
    .command('clean')
    .description('remove cached archives, trees and package documents')
    .option('--older-than <age>', `only what was written longer ago than this: ${DURATION_EXAMPLES}`, durationArg('--older-than'))
    .option('--json', 'print JSON')
    .action(async (opts: { olderThan?: number; json?: boolean }) => {
      const { cleanCache } = await import('../../cache/maintain.js');
      const { formatBytes } = await import('../../progress.js');
      const age = opts.olderThan ?? null;
      const report = await cleanCache(await layout(), age, Date.now());
      if (opts.json) return printJson(report);
      printLines([`removed ${report.removed.length} items, ${formatBytes(report.bytes)}`]);
    });

  cache
    .command('path')
    .description('print the cache folder (UNI_HOME)')
    .option('--json', 'print {"path": ...}')
    .action(async (opts: { json?: boolean }) => {
      const { loadConfig } = await import('../../config.js');
      const path = loadConfig(process.env).home;
      if (opts.json) return printJson({ path });
      printLines([path]);
    });
}
