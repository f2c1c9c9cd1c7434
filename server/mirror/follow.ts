/**
 * `uni serve --follow`: the mirror applies its upstream's change feed in the background, so
 * that it is a read replica of the mirrored namespaces rather than a cache filled on demand.
 * Each round is one syncFeed from the position in the Db, so several processes following the
 * same data folder only repeat work, never corrupt it. Upstream failures go through the
 * shared back-off, like pull-through requests.
 */
import { isUpstreamFailure } from './upstream.js';
import { askUpstream, type MirrorContext } from './refresh.js';
import { storeSink, syncFeed, type SyncReport } from './sync.js';

export interface Following {
  /** Resolves after the round in flight, if any, has finished. */
  stop(): Promise<void>;
}

const CONCURRENCY = 4;
const PAGE_SIZE = 500;

/**
 * `fill`: also look behind every mirrored row for a missing blob (the first round of a
 * process, which may follow pull-through); later rounds check the packages they touch.
 */
export async function followRound(ctx: MirrorContext, fill: boolean): Promise<SyncReport> {
  return askUpstream(ctx, (upstream) =>
    syncFeed(storeSink({ ...ctx, mirrored: ctx.mirror.config.namespaces }), {
      upstream,
      namespaces: ctx.mirror.config.namespaces,
      arches: null,
      concurrency: CONCURRENCY,
      pageSize: PAGE_SIZE,
      fill,
    }),
  );
}

export function followUpstream(ctx: MirrorContext, intervalMs: number): Following {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let round: Promise<void> = Promise.resolve();
  let filled = false;
  const tick = (): void => {
    round = followRound(ctx, !filled)
      .then((r) => {
        filled = true;
        if (r.packages > 0 || r.blobs > 0) ctx.log(`mirror: followed ${ctx.mirror.config.upstream} to change ${r.position}: ${r.packages} packages, ${r.blobs} blobs`);
        for (const line of r.skipped) ctx.log(`mirror: following ${ctx.mirror.config.upstream}: ${line}`);
      })
      .catch((e: unknown) => {
        // Failures are logged by askUpstream; anything else is a bug worth the full text.
        if (!isUpstreamFailure(e)) ctx.log(`mirror: following ${ctx.mirror.config.upstream} failed: ${(e as Error)?.stack ?? String(e)}`);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await round;
    },
  };
}
