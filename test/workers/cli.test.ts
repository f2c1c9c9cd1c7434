/**
 * The `uni` client against the registry on workerd + D1 + R2: `uni pkg get` installs a package
 * with its dependency, and `uni mirror sync` copies the Worker's registry into a local folder.
 * Also the Worker's configuration from its vars (wrangler.toml).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath, removeDir, runUni, sha256 } from '../mirror/servers.js';
import { leftovers, publish, removeHome, requireBuild, tempHome, uni } from '../e2e/harness.js';
import { buildPackage } from '../helpers/archive.js';
import { putDeclaringLength } from '../helpers/http.js';
import { startWorkersDeployment, type WorkersDeployment } from './deployment.js';

let worker: WorkersDeployment;
const digests: Record<string, string> = {};

beforeAll(async () => {
  requireBuild();
  worker = await startWorkersDeployment();
  const packages: [string, string, Record<string, unknown>][] = [
    ['glibc', '2.36.0', {}],
    ['redis', '7.2.4', { Dependencies: { glibc: '^2.36' } }],
    ['redis', '7.0.0', { Dependencies: { glibc: '^2.36' } }],
  ];
  for (const [name, version, manifest] of packages) {
    const bytes = await buildPackage({ name, version, manifest });
    const { digest } = await publish(worker.baseUrl, `library/${name}`, version, 'x86_64', bytes, worker.adminToken);
    digests[`${name}@${version}`] = digest;
  }
});

afterAll(async () => {
  await worker?.stop();
});

describe('uni against the registry on workerd', () => {
  it('uni pkg get installs the newest redis and the glibc it depends on, verified by digest', async () => {
    const home = tempHome();
    try {
      const run = await uni(['pkg', 'get', 'redis', '--arch', 'x86_64', '--json'], { home, registry: worker.baseUrl });
      expect(run.code, run.stderr).toBe(0);
      const got = JSON.parse(run.stdout) as { name: string; version: string; digest: string; path: string }[];
      expect(got.map((p) => `${p.name}@${p.version}`)).toEqual(['library/glibc@2.36.0', 'library/redis@7.2.4']);
      expect(got.map((p) => p.digest)).toEqual([digests['glibc@2.36.0'], digests['redis@7.2.4']]);
      for (const p of got) expect(JSON.parse(readFileSync(join(p.path, 'package.manifest'), 'utf8')).Version).toBe(p.version);
      expect(leftovers(home)).toEqual([]);
    } finally {
      removeHome(home);
    }
  });

  it('uni mirror sync copies every version and blob of the Worker into a local registry folder', async () => {
    const to = mkdtempSync(join(tmpdir(), 'uni-workers-sync-'));
    try {
      const run = await runUni(['mirror', 'sync', '--from', worker.baseUrl, '--to', to, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ packages: 2, blobs: 3 });
      const db = new Database(join(to, 'registry.sqlite'), { readonly: true });
      const rows = db.prepare('SELECT package, version, digest FROM artifacts ORDER BY package, version').all();
      db.close();
      expect(rows).toEqual([
        { package: 'library/glibc', version: '2.36.0', digest: digests['glibc@2.36.0'] },
        { package: 'library/redis', version: '7.0.0', digest: digests['redis@7.0.0'] },
        { package: 'library/redis', version: '7.2.4', digest: digests['redis@7.2.4'] },
      ]);
      for (const digest of Object.values(digests)) {
        const file = blobPath(to, digest);
        expect(existsSync(file)).toBe(true);
        expect(`sha256:${sha256(readFileSync(file))}`).toBe(digest);
      }
      const again = await runUni(['mirror', 'sync', '--from', worker.baseUrl, '--to', to, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ packages: 0, blobs: 0 });
    } finally {
      removeDir(to);
    }
  });
});

describe('the Worker\'s configuration', () => {
  it('takes the publish size limit from the UNI_MAX_BODY_BYTES var in wrangler.toml', async () => {
    // 200 MB: under the Node default of 2 GiB, over the 100 MB wrangler.toml sets for Workers.
    const r = await putDeclaringLength(worker.baseUrl, '/v1/packages/library/big/1.0.0/x86_64', worker.adminToken, 200 * 1024 * 1024, Buffer.alloc(1024));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.message).toBe('archive is larger than the limit of 104857600 bytes');
  });
});
