/** `uni serve`: the registry on Node, in the foreground, until SIGINT or SIGTERM. */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { durationArg, intArg } from '../../protocol/cli.js';
import { UniError } from '../../protocol/errors.js';
import { seedToken } from '../auth/bootstrap.js';
import { serverConfig } from '../config.js';
import { bind, openNodeRegistry } from '../node.js';
import { blobStoreFromOption, type BlobsServeOptions } from './blobs.js';
import { isEmptyDataDir, seedFromHost, seedNextSteps, seedNothingSteps } from '../seed.js';
import { describeMirror, mirrorFromServeOptions, startFollowing, type MirrorServeOptions } from './mirror.js';
import { gcCommand, gcGraceOption, startGcEvery } from './gc.js';
import { scrubCommand } from './scrub.js';

export interface ServeOptions extends MirrorServeOptions, BlobsServeOptions {
  host: string;
  port: number;
  data: string;
  maxBody?: number;
  seedFromHost?: boolean;
  gcEvery?: number;
  gcGrace: number;
}

function gcPeriodArg(value: string): number {
  const ms = durationArg('--gc-every')(value);
  if (ms < 1000) throw new InvalidArgumentError('--gc-every must be at least 1s');
  return ms;
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 7878;
/** Where a registry started with no options answers: the client's default registry. */
export const SERVE_DEFAULT_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

/** The command with its options; callers add theirs (mirror upstreams, blob stores) before parsing. */
export function serveCommand(): Command {
  return new Command('serve')
    // `uni serve gc --data X`: the options after `gc` (or `scrub`) are its own, not serve's.
    .enablePositionalOptions()
    .description('run a registry: SQLite and a blob folder under --data')
    .option('--host <host>', 'address to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (0: any free port)', intArg('--port', 0, 65535), DEFAULT_PORT)
    .option('--data <dir>', 'data folder (registry.sqlite, blobs/)', './data')
    .option('--max-body <bytes>', 'largest archive accepted by a publish', intArg('--max-body', 1, Number.MAX_SAFE_INTEGER))
    .option('--seed-from-host', 'when the data folder is empty, publish node (and python, redis when installed) made from this machine')
    .option('--gc-every <duration>', 'delete unreferenced archives this often, as `uni serve gc` does (default: never)', gcPeriodArg)
    .addOption(gcGraceOption('--gc-grace <duration>', 'with --gc-every: keep unreferenced archives younger than this'))
    .addCommand(gcCommand())
    .addCommand(scrubCommand());
}

/** Present while the seed of a first start is not finished, so that the next start does it again. */
const SEED_PENDING = 'seed-pending';

/** The data folder, checked to be a folder before anything is written in it. */
function dataFolder(dir: string): string {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new UniError('usage', `--data ${dir} is a file; name a folder (it is created when missing)`);
  return dir;
}

export async function runServe(opts: ServeOptions): Promise<void> {
  const dataDir = dataFolder(resolve(opts.data));
  const mirror = mirrorFromServeOptions(opts);
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const blobs = await blobStoreFromOption(opts);
  // The port is taken before the data folder or the first admin token exist: a start that
  // cannot listen leaves nothing behind, and the next one is a first start again.
  const bound = await bind(opts.host, opts.port);
  const seedMarker = join(dataDir, SEED_PENDING);
  const seed = opts.seedFromHost === true && (isEmptyDataDir(dataDir) || existsSync(seedMarker));
  if (seed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(seedMarker, 'the seed of the first start has not finished; the next start with --seed-from-host seeds again\n');
  }
  const registry = await openNodeRegistry({
    dataDir,
    ...(blobs ? { blobs } : {}),
    config: serverConfig({ log, ...(opts.maxBody !== undefined ? { maxBodyBytes: opts.maxBody } : {}) }),
    adminToken: process.env['UNI_ADMIN_TOKEN'],
    ...(mirror ? { mirror } : {}),
  }).catch(async (e: unknown) => {
    await bound.close();
    throw e;
  });
  const listening = bound.attach(registry);
  log(`uni registry listening on ${listening.url} (data: ${dataDir})${seed ? '; seeding packages from this machine first, wait for the line "seeded ..."' : ''}`);
  if (mirror) log(describeMirror(mirror));
  const following = startFollowing(registry.deps, opts);
  const stopGc =
    opts.gcEvery !== undefined ? startGcEvery(registry.deps.db, registry.deps.blobs, registry.deps.clock, opts.gcEvery, opts.gcGrace, log) : null;
  if (registry.generatedAdminToken !== undefined) {
    log(`admin token, shown this once (keep it): ${registry.generatedAdminToken}`);
  }
  if (seed) {
    // The seed is a convenience: what could not be seeded is reported and the registry keeps
    // serving, even empty, since publishing by hand still works.
    const warn = (line: string): void => {
      process.stderr.write(`uni: warning: ${line}\n`);
    };
    const token = await seedToken(registry.deps.db, registry.deps.clock);
    const names = await seedFromHost({ url: listening.url, token: token.token, log, warn })
      .catch((e: unknown) => {
        warn(`seeding stopped: ${(e as Error).message}`);
        return [];
      })
      .finally(() => token.revoke());
    rmSync(seedMarker, { force: true });
    if (names.length > 0) seedNextSteps(listening.url, names).forEach(log);
    else process.stderr.write(`${seedNothingSteps(listening.url).join('\n')}\n`);
  }
  const stop = (): void => {
    void Promise.all([following?.stop(), stopGc?.()])
      .then(() => listening.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
