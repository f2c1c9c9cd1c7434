/**
 * The registry on workerd as tests use it: the Worker bundled by `wrangler deploy --dry-run`
 * (the bundle a deploy uploads), migrations applied by `wrangler d1 migrations apply --local`
 * (as on Cloudflare), then served by Miniflare on a loopback port with local D1 and R2.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { r2BlobStore, type R2Binding } from '../../server/adapters/r2-blob-store.js';
import type { Deployment } from '../api/suite.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
/** No telemetry and no request.cf lookups: the tests make no outside calls. */
const QUIET_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' };
const TABLES = ['namespaces', 'packages', 'versions', 'artifacts', 'changes', 'tokens'];

function tomlValue(name: string): string {
  const m = new RegExp(`^${name}\\s*=\\s*"([^"]+)"`, 'm').exec(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'));
  if (!m) throw new Error(`wrangler.toml has no ${name}`);
  return m[1]!;
}

export interface WorkersDeployment extends Deployment {
  mf: Miniflare;
}

/** `vars` override or add Worker vars (wrangler.toml [vars]), as a deploy's settings would. */
export async function startWorkersDeployment(vars: Record<string, string> = {}): Promise<WorkersDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'uni-workers-'));
  try {
    return await startIn(dir, vars);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, vars: Record<string, string>): Promise<WorkersDeployment> {
  const wrangler = (args: string[]) => run(WRANGLER, args, { cwd: ROOT, env: QUIET_ENV, timeout: 180_000 });
  await Promise.all([
    wrangler(['deploy', '--dry-run', '--outdir', join(dir, 'bundle')]),
    wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', join(dir, 'state')]),
  ]);
  const adminToken = `test-admin-${Math.random().toString(36).slice(2)}-token`;
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, 'bundle', 'worker.js'),
    modulesRoot: join(dir, 'bundle'),
    compatibilityDate: tomlValue('compatibility_date'),
    compatibilityFlags: ['nodejs_compat'],
    d1Databases: { DB: tomlValue('database_id') },
    d1Persist: join(dir, 'state', 'v3', 'd1'),
    r2Buckets: ['BLOBS'],
    r2Persist: join(dir, 'state', 'v3', 'r2'),
    bindings: { UNI_ADMIN_TOKEN: adminToken, UNI_MAX_BODY_BYTES: tomlValue('UNI_MAX_BODY_BYTES'), UNI_GC_GRACE: tomlValue('UNI_GC_GRACE'), ...vars },
    host: '127.0.0.1',
    port: 0,
  });
  const url = await mf.ready.catch(async (e: unknown) => {
    await mf.dispose().catch(() => undefined);
    throw e;
  });
  const d1 = await mf.getD1Database('DB');
  const blobs = r2BlobStore((await mf.getR2Bucket('BLOBS')) as unknown as R2Binding);
  return {
    mf,
    baseUrl: url.origin,
    adminToken,
    snapshot: async () => {
      const rows: Record<string, unknown[]> = {};
      for (const t of TABLES) rows[t] = (await d1.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()).results;
      return { rows, blobs: await blobs.list() };
    },
    stop: async () => {
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
