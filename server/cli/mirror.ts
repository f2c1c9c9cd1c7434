/**
 * The mirror's command line: the options `uni serve` takes to become a mirror (--upstream,
 * --mirror, --max-age, --offline, --follow ...) and `uni mirror sync`.
 */
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { durationArg, intArg, userArg } from '../../protocol/cli.js';
import { formatDuration } from '../../protocol/duration.js';
import { UniError } from '../../protocol/errors.js';
import { checkNamePart, parseArch, type Arch } from '../../protocol/names.js';
import type { AppDeps } from '../deps.js';
import { DEFAULT_BACKOFF_MS, DEFAULT_MAX_AGE_MS, DEFAULT_TIMEOUT_MS, mirrorConfig, parseRegistryUrl, type Mirror } from '../mirror/config.js';
import { followUpstream, type Following } from '../mirror/follow.js';
import { storeSink, syncFeed, type SyncSink } from '../mirror/sync.js';
import { openData } from './data.js';
import { registrySink } from './mirror-registry.js';
import { verifyCommand } from './mirror-verify.js';
import { nodeFetch } from '../mirror/node-fetch.js';
import { upstreamClient } from '../mirror/upstream.js';
import { systemClock } from '../ports.js';
import { syncProgress } from './mirror-progress.js';

export interface MirrorServeOptions {
  upstream?: string;
  upstreamToken?: string;
  mirror?: string[];
  maxAge?: number;
  upstreamBackoff?: number;
  upstreamTimeout?: number;
  offline?: boolean;
  follow?: boolean;
  interval: number;
}

const FOLLOW_INTERVAL_MS = 30_000;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addMirrorServeOptions(cmd: Command): Command {
  return cmd
    .option('--upstream <url>', 'mirror this registry: read mirrored namespaces from it')
    .addOption(new Option('--upstream-token <token>', 'token for the upstream (reaches its private packages)').env('UNI_UPSTREAM_TOKEN'))
    .option('--mirror <namespace>', 'a namespace read from the upstream (repeatable; default: library)', collect)
    .option('--max-age <duration>', `revalidate a cached package document older than this (default: ${formatDuration(DEFAULT_MAX_AGE_MS)})`, durationArg('--max-age'))
    .option('--upstream-backoff <duration>', `after an upstream failure, wait this long before asking it again (default: ${formatDuration(DEFAULT_BACKOFF_MS)})`, durationArg('--upstream-backoff'))
    .option('--upstream-timeout <duration>', `give up on an upstream request after this long (default: ${formatDuration(DEFAULT_TIMEOUT_MS)})`, durationArg('--upstream-timeout'))
    .option('--offline', 'serve only what is cached; never contact the upstream')
    .option('--follow', "apply the upstream's change feed in the background (a read replica)")
    .addOption(new Option('--interval <duration>', 'how often --follow polls the feed').argParser(durationArg('--interval')).default(FOLLOW_INTERVAL_MS, formatDuration(FOLLOW_INTERVAL_MS)));
}

/** The mirror `uni serve` was asked to be, or undefined for a plain registry. */
export function mirrorFromServeOptions(opts: MirrorServeOptions): Mirror | undefined {
  if (opts.upstream === undefined) {
    const stray = (['upstreamToken', 'mirror', 'maxAge', 'upstreamBackoff', 'upstreamTimeout', 'offline', 'follow'] as const).find(
      (k) => opts[k] !== undefined && !(k === 'upstreamToken' && process.env['UNI_UPSTREAM_TOKEN'] === opts[k]),
    );
    if (stray) throw new UniError('usage', `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --upstream <url>`);
    return undefined;
  }
  if (opts.offline && opts.follow) throw new UniError('usage', '--follow and --offline exclude each other: an offline mirror never contacts the upstream');
  const config = userArg(
    (upstream) =>
      mirrorConfig({
        upstream,
        ...(opts.upstreamToken !== undefined ? { token: opts.upstreamToken } : {}),
        ...(opts.mirror !== undefined ? { namespaces: opts.mirror } : {}),
        ...(opts.maxAge !== undefined ? { maxAgeMs: opts.maxAge } : {}),
        ...(opts.upstreamBackoff !== undefined ? { backoffMs: opts.upstreamBackoff } : {}),
        ...(opts.upstreamTimeout !== undefined ? { timeoutMs: opts.upstreamTimeout } : {}),
        offline: opts.offline ?? false,
      }),
    opts.upstream,
  );
  return { config, fetch: globalThis.fetch };
}

export function describeMirror(mirror: Mirror): string {
  const c = mirror.config;
  return `mirroring ${c.namespaces.join(', ')} from ${c.upstream}${c.offline ? ' (offline: cache only)' : ''}; every other namespace is local`;
}

export function startFollowing(deps: AppDeps, opts: MirrorServeOptions): Following | null {
  if (!opts.follow || !deps.mirror) return null;
  return followUpstream({ db: deps.db, blobs: deps.blobs, clock: deps.clock, mirror: deps.mirror, log: deps.config.log }, opts.interval);
}

interface SyncCliOptions {
  from: string;
  token?: string;
  namespace?: string[];
  arch?: string[];
  to?: string;
  blobs?: string;
  registry?: string;
  registryToken?: string;
  state?: string;
  concurrency: number;
  json?: boolean;
}

async function runSync(opts: SyncCliOptions): Promise<void> {
  const from = userArg((url) => parseRegistryUrl(url, '--from'), opts.from);
  const arches: Arch[] | null = opts.arch ? [...new Set(opts.arch.map((a) => userArg(parseArch, a)))] : null;
  const namespaces = opts.namespace ? [...new Set(opts.namespace.map((ns) => userArg((n) => checkNamePart(n, 'namespace'), ns)))] : null;
  const target = await openTarget(opts);
  const progress = syncProgress(process.stderr);
  const started = performance.now();
  try {
    const report = await syncFeed(
      target.sink,
      {
        upstream: upstreamClient({ url: from, ...(opts.token !== undefined ? { token: opts.token } : {}), fetch: nodeFetch(), timeoutMs: 30_000 }),
        namespaces,
        arches,
        concurrency: opts.concurrency,
        pageSize: 500,
        fill: true,
        onEvent: progress.onEvent,
      },
    );
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    for (const line of report.skipped) process.stderr.write(`uni mirror sync: ${line}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...report, seconds })}\n`);
    else {
      process.stdout.write(
        `synced ${report.packages} packages, ${report.blobs} blobs (${(report.bytes / 1e6).toFixed(1)} MB) from ${from} in ${seconds.toFixed(1)} s; feed position ${report.position}\n`,
      );
    }
  } finally {
    progress.stop();
    await target.close();
  }
}

/** Where the copy goes: a data folder through the registry's own adapters, or a registry's API. */
async function openTarget(opts: SyncCliOptions): Promise<{ sink: SyncSink; close(): Promise<void> }> {
  if ((opts.to === undefined) === (opts.registry === undefined)) {
    throw new UniError('usage', 'say where to copy to: either --to DATA_DIR or --registry URL');
  }
  if (opts.blobs !== undefined && opts.to === undefined) throw new UniError('bad_config', '--blobs goes with --to: it names where that data folder keeps its archives');
  if (opts.registry !== undefined) {
    const url = userArg((u) => parseRegistryUrl(u, '--registry'), opts.registry);
    if (opts.registryToken === undefined) throw new UniError('usage', '--registry needs --registry-token (a token that may publish there)');
    const home = process.env['UNI_HOME'] ?? join(homedir(), '.uni');
    const sink = registrySink({
      url,
      token: opts.registryToken,
      stateFile: resolve(opts.state ?? join(home, 'mirror-sync.json')),
      tmpDir: tmpdir(),
      fetch: globalThis.fetch,
    });
    return { sink, close: async () => undefined };
  }
  const data = await openData(opts.to!, opts.blobs);
  return { sink: storeSink({ db: data.db, blobs: data.blobs, clock: systemClock }), close: () => data.close() };
}

export function mirrorCommand(): Command {
  const mirror = new Command('mirror').description('copy packages from another registry');
  mirror
    .command('sync')
    .description("copy every version of the chosen namespaces by following the origin's change feed (resumable)")
    .requiredOption('--from <url>', 'the origin registry')
    .addOption(new Option('--token <token>', 'token for the origin (reaches its private packages)').env('UNI_SYNC_TOKEN'))
    .option('--namespace <namespace>', 'copy only this namespace (repeatable; default: all the origin shows)', collect)
    .option('--arch <arch>', 'copy only this architecture (repeatable; default: all)', collect)
    .option('--to <dir>', 'a registry data folder (registry.sqlite, blobs/); it may be served meanwhile')
    .option('--blobs <url>', 'with --to: where that folder\'s registry keeps archives, as `uni serve --blobs` (default: DIR/blobs)')
    .option('--registry <url>', 'or a registry to publish into through its API')
    .addOption(new Option('--registry-token <token>', 'a token that may publish into --registry').env('UNI_REGISTRY_TOKEN'))
    .option('--state <file>', "with --registry: where the feed position is kept (default: $UNI_HOME/mirror-sync.json)")
    .option('--concurrency <n>', 'downloads at once', intArg('--concurrency', 1, 64), 8)
    .option('--json', 'print the summary as JSON')
    .action((opts: SyncCliOptions) => runSync(opts));
  mirror.addCommand(verifyCommand());
  return mirror;
}
