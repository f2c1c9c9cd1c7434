/**
 * The registry on Cloudflare Workers: the same Hono app as on Node, with D1 for metadata and
 * R2 for archives. Configuration comes from Worker vars and secrets (wrangler.toml, `wrangler
 * secret put UNI_ADMIN_TOKEN`). Every request may land on a fresh isolate, so nothing here is
 * needed across requests: what is kept per isolate only saves work.
 */
import { createApp } from './app.js';
import { d1Db, type D1Binding } from './adapters/d1-db.js';
import { r2BlobStore, type R2Binding } from './adapters/r2-blob-store.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { serverConfig } from './config.js';
import type { AppDeps } from './deps.js';
import { systemClock } from './ports.js';
import { isUniqueViolation } from './store/publish.js';
import { drainBody } from './drain.js';
import { collectGarbage, DEFAULT_GC_GRACE_MS, describeGc } from './gc/collect.js';
import { parseDuration } from '../protocol/duration.js';

export interface Env {
  DB: D1Database;
  BLOBS: R2Bucket;
  /** Registers this admin token (as on Node); without it the Worker has no admin. */
  UNI_ADMIN_TOKEN?: string;
  /** Largest publish body in bytes; Workers themselves cap request bodies (100 MB on most plans). */
  UNI_MAX_BODY_BYTES?: string;
  /** The cron-triggered gc keeps unreferenced archives younger than this (`1h`, `30m`; default 1h). */
  UNI_GC_GRACE?: string;
}

interface Prepared {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  ready: Promise<void>;
}

const prepared = new WeakMap<Env, Prepared>();

function configOf(env: Env): AppDeps['config'] {
  const max = env.UNI_MAX_BODY_BYTES;
  if (max !== undefined && !/^\d+$/.test(max)) throw new Error(`UNI_MAX_BODY_BYTES must be a whole number, not "${max}"`);
  return serverConfig({ log: (line) => console.log(line), ...(max !== undefined ? { maxBodyBytes: Number(max) } : {}) });
}

/** Two isolates may register the same token at once; the loser finds it registered. */
async function registerAdmin(deps: AppDeps, token: string): Promise<void> {
  try {
    await bootstrapAdmin(deps.db, deps.clock, token);
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    await bootstrapAdmin(deps.db, deps.clock, token);
  }
}

function prepare(env: Env): Prepared {
  let p = prepared.get(env);
  if (!p) {
    const deps: AppDeps = {
      db: d1Db(env.DB as unknown as D1Binding),
      blobs: r2BlobStore(env.BLOBS as unknown as R2Binding),
      clock: systemClock,
      config: configOf(env),
    };
    const token = env.UNI_ADMIN_TOKEN;
    p = { deps, app: createApp(deps), ready: token ? registerAdmin(deps, token) : Promise.resolve() };
    prepared.set(env, p);
  }
  return p;
}

/** Unread bodies that declare at most this many bytes are read before a refusal is sent. */
const DRAIN_LIMIT = 8 * 1024 * 1024;
/** How long a refusal waits for them: a client that sends less than it declared gets it then. */
const DRAIN_DEADLINE_MS = 2000;

/**
 * workerd drops a keep-alive connection whose request body the Worker left unread, without
 * sending `Connection: close`, so the client's next request on it fails with ECONNRESET. A
 * refusal that comes before the body is read (401, 403, 409 on visibility, a bad path)
 * therefore reads the rest of a small body first, as Node's HTTP server does. Bounded in size
 * and time, so that nobody without a token can make the Worker receive 100 MB, or hold a
 * request open by sending less than they declared; past either bound the connection is lost.
 */
async function drainUnread(request: Request): Promise<void> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (request.body === null || request.bodyUsed || !(declared <= DRAIN_LIMIT)) return;
  await drainBody(request.body.getReader(), DRAIN_LIMIT, DRAIN_DEADLINE_MS);
}

async function ready(env: Env): Promise<Prepared> {
  const p = prepare(env);
  try {
    await p.ready;
  } catch (e) {
    prepared.delete(env);
    throw e;
  }
  return p;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const p = await ready(env);
    const response = await p.app.fetch(request, env, ctx);
    await drainUnread(request);
    return response;
  },

  /** The cron trigger of wrangler.toml: blob gc, as `uni serve gc` on Node. */
  async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
    const grace = env.UNI_GC_GRACE === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(env.UNI_GC_GRACE, 'UNI_GC_GRACE');
    const { deps } = await ready(env);
    deps.config.log(describeGc(await collectGarbage(deps.db, deps.blobs, deps.clock, grace), grace));
  },
} satisfies ExportedHandler<Env>;
