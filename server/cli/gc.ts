/**
 * `uni serve gc`: delete the blobs no artifact references, once; and `uni serve --gc-every`,
 * the same on a timer inside the serving process. Both on the folder or S3 store `--blobs` names.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UniError } from '../../protocol/errors.js';
import { fsBlobStore } from '../adapters/fs-blob-store.js';
import { applyMigrations } from '../adapters/sqlite-migrate.js';
import { openSqlite, sqliteDb } from '../adapters/sqlite-db.js';
import { collectGarbage, DEFAULT_GC_GRACE_MS, describeGc } from '../gc/collect.js';
import { migrationsDir } from '../node.js';
import { systemClock, type BlobStore, type Clock, type Db } from '../ports.js';
import { addBlobsServeOption, blobStoreFromOption, type BlobsServeOptions } from './blobs.js';
import { durationArg } from '../../protocol/cli.js';

interface GcOptions extends BlobsServeOptions {
  data: string;
  grace: number;
  json?: boolean;
}

export function gcGraceOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser(durationArg(flags.split(' ')[0]!)).default(DEFAULT_GC_GRACE_MS, '1h');
}

export function gcCommand(): Command {
  return addBlobsServeOption(
    new Command('gc')
      .description('delete stored archives that no published artifact references and that are older than --grace')
      .option('--data <dir>', 'the registry data folder (registry.sqlite, blobs/)', './data')
      .addOption(gcGraceOption('--grace <duration>', 'keep unreferenced archives younger than this'))
      .option('--json', 'print the report as JSON'),
  ).action((opts: GcOptions) => runGc(opts));
}

async function runGc(opts: GcOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  const file = join(dataDir, 'registry.sqlite');
  // Against an empty database every blob looks unreferenced: never start one here.
  if (!existsSync(file)) throw new UniError('bad_config', `--data ${dataDir} holds no registry.sqlite: not a registry data folder`);
  const sqlite = openSqlite(file);
  applyMigrations(sqlite, migrationsDir());
  const db = sqliteDb(sqlite);
  try {
    const blobs = (await blobStoreFromOption(opts)) ?? fsBlobStore(join(dataDir, 'blobs'));
    const report = await collectGarbage(db, blobs, systemClock, opts.grace);
    process.stdout.write(opts.json ? `${JSON.stringify({ ...report, graceMs: opts.grace })}\n` : `${describeGc(report, opts.grace)}\n`);
  } finally {
    await db.close();
  }
}

/**
 * Runs gc every `everyMs` in this process, one run at a time; a failed run is logged and the
 * next one tries again. Returns how to stop it (waiting for a run in progress).
 */
export function startGcEvery(db: Db, blobs: BlobStore, clock: Clock, everyMs: number, graceMs: number, log: (line: string) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    // A run longer than the period is not stacked up behind: the next tick after it starts one.
    running ??= collectGarbage(db, blobs, clock, graceMs)
      .then(
        (r) => log(describeGc(r, graceMs)),
        (e: unknown) => log(`gc failed (next run in ${everyMs / 1000} s): ${(e as Error).message}`),
      )
      .finally(() => {
        running = null;
      });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
