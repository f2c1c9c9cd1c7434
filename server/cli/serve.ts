/** `uni serve`: the registry on Node, in the foreground, until SIGINT or SIGTERM. */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { intArg } from './args.js';
import { serverConfig } from '../config.js';
import { listen, openNodeRegistry } from '../node.js';
import { blobStoreFromOption, type BlobsServeOptions } from './blobs.js';
import { isEmptyDataDir, seedFromHost, seedNextSteps, seedNothingSteps } from '../seed.js';
import { describeMirror, durationArg, mirrorFromServeOptions, startFollowing, type MirrorServeOptions } from './mirror.js';
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

/** The command with its options; callers add theirs (mirror upstreams, blob stores) before parsing. */
export function serveCommand(): Command {
  return new Command('serve')
    // `uni serve gc --data X`: the options after `gc` (or `scrub`) are its own, not serve's.
    .enablePositionalOptions()
    .description('run a registry: SQLite and a blob folder under --data')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', intArg('--port', 0, 65535), 7878)
    .option('--data <dir>', 'data folder (registry.sqlite, blobs/)', './data')
    .option('--max-body <bytes>', 'largest archive accepted by a publish', intArg('--max-body', 1, Number.MAX_SAFE_INTEGER))
    .option('--seed-from-host', 'when the data folder is empty, publish node (and python, redis when installed) made from this machine')
    .option('--gc-every <duration>', 'delete unreferenced archives this often, as `uni serve gc` does (default: never)', gcPeriodArg)
    .addOption(gcGraceOption('--gc-grace <duration>', 'with --gc-every: keep unreferenced archives younger than this'))
    .addCommand(gcCommand())
    .addCommand(scrubCommand())
    .addHelpText('after', '\nEnvironment:\n  UNI_ADMIN_TOKEN   registers this admin token at start (otherwise the first start prints one)');
}

export async function runServe(opts: ServeOptions): Promise<void> {
  const dataDir = resolve(opts.data);
  const seed = opts.seedFromHost === true && isEmptyDataDir(dataDir);
  const mirror = mirrorFromServeOptions(opts);
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const blobs = await blobStoreFromOption(opts);
  const registry = await openNodeRegistry({
    dataDir,
    ...(blobs ? { blobs } : {}),
    config: serverConfig({ log, ...(opts.maxBody !== undefined ? { maxBodyBytes: opts.maxBody } : {}) }),
    adminToken: process.env['UNI_ADMIN_TOKEN'],
    ...(mirror ? { mirror } : {}),
  });
  const listening = await listen(registry, opts.host, opts.port);
  log(`uni registry listening on ${listening.url} (data: ${dataDir})`);
  if (mirror) log(describeMirror(mirror));
  const following = startFollowing(registry.deps, opts);
  const stopGc =
    opts.gcEvery !== undefined ? startGcEvery(registry.deps.db, registry.deps.blobs, registry.deps.clock, opts.gcEvery, opts.gcGrace, log) : null;
  if (registry.generatedAdminToken !== undefined) {
    log(`admin token, shown this once (keep it): ${registry.generatedAdminToken}`);
  }
  const seedToken = process.env['UNI_ADMIN_TOKEN'] ?? registry.generatedAdminToken;
  if (seed && seedToken !== undefined) {
    // The seed is a convenience: what could not be seeded is reported and the registry keeps
    // serving, even empty, since publishing by hand still works.
    const warn = (line: string): void => {
      process.stderr.write(`uni: warning: ${line}\n`);
    };
    const names = await seedFromHost({ url: listening.url, token: seedToken, log, warn }).catch((e: unknown) => {
      warn(`seeding stopped: ${(e as Error).message}`);
      return [];
    });
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
