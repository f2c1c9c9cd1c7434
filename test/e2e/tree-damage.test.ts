import { chmodSync, existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { e2eSuite, leftovers, publish, uni, type Registry } from './harness.js';

let reg: Registry;

const { home } = e2eSuite(async (r) => {
  reg = r;
  await publish(reg.url, 'library/app', '1.0.0', 'x86_64', await buildPackage({ name: 'app', version: '1.0.0' }));
});

interface Got {
  digest: string;
  path: string;
}

/** A fresh UNI_HOME with app@1.0.0 fetched, and what a test needs to damage it. */
async function cached() {
  const h = home();
  const env = { home: h, registry: reg.url };
  const run = await uni(['pkg', 'get', 'app', '--json'], env);
  expect(run.code).toBe(0);
  const [app] = JSON.parse(run.stdout) as Got[];
  const hex = app!.digest.slice(7);
  const manifest = join(app!.path, 'package.manifest');
  const treeDir = join(h, 'trees', 'sha256', hex);
  return {
    env,
    home: h,
    tree: app!.path,
    manifest,
    original: readFileSync(manifest),
    archive: join(h, 'archives', 'sha256', `${hex}.tar.gz`),
    treeDir,
    stamp: join(treeDir, '.stat.json'),
  };
}

/** What this part of the log downloaded. */
function downloads(since: number): string[] {
  return reg.requests.slice(since).filter((l) => l.startsWith('GET /v1/blobs/'));
}

/** What changes when the stamp is written anew (a temp file renamed over it). */
function stampId(path: string): string {
  const st = lstatSync(path);
  return `${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
}

function note(problem: RegExp): RegExp {
  return new RegExp(`^uni: the cached tree of library/app@1\\.0\\.0 \\(x86_64\\) was damaged \\(${problem.source}\\) and was rebuilt from the cached archive\\n$`);
}

describe('uni pkg get with a damaged tree in the cache', () => {
  it('rebuilds a tree whose file was overwritten, from the cached archive, and says so', async () => {
    const c = await cached();
    chmodSync(c.manifest, 0o644);
    writeFileSync(c.manifest, '{}');
    const before = reg.requests.length;
    const run = await uni(['pkg', 'get', 'app', '--json'], c.env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(note(/package\.manifest has 2 bytes, expected \d+/));
    expect(readFileSync(c.manifest).equals(c.original)).toBe(true);
    expect(lstatSync(c.manifest).mode & 0o222).toBe(0);
    expect(downloads(before)).toEqual([]);
    expect(leftovers(c.home)).toEqual([]);
    // Rebuilt with a stamp of its own: the next get trusts it again.
    const id = stampId(c.stamp);
    const again = await uni(['pkg', 'get', 'app'], c.env);
    expect(again.stderr).toBe('');
    expect(stampId(c.stamp)).toBe(id);
  });

  it('catches an overwrite that keeps the size', async () => {
    const c = await cached();
    const same = Buffer.from(c.original);
    same[same.length - 2] ^= 0x20;
    chmodSync(c.manifest, 0o644);
    writeFileSync(c.manifest, same);
    chmodSync(c.manifest, 0o444);
    const run = await uni(['pkg', 'get', 'app'], c.env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(note(/package\.manifest does not match its sha256/));
    expect(readFileSync(c.manifest).equals(c.original)).toBe(true);
  });

  it('catches a file added to the tree', async () => {
    const c = await cached();
    const sysroot = join(c.tree, 'sysroot');
    chmodSync(sysroot, 0o755);
    writeFileSync(join(sysroot, 'planted'), 'x');
    const run = await uni(['pkg', 'get', 'app'], c.env);
    expect(run.stderr).toMatch(note(/sysroot\/planted is not part of the package/));
    expect(existsSync(join(sysroot, 'planted'))).toBe(false);
  });

  it('accepts an intact tree whose ctimes changed, without a rebuild or a download, and stamps it anew', async () => {
    const c = await cached();
    const id = stampId(c.stamp);
    chmodSync(c.manifest, 0o644);
    chmodSync(c.manifest, 0o444);
    const inode = lstatSync(c.manifest).ino;
    const before = reg.requests.length;
    const run = await uni(['pkg', 'get', 'app'], c.env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(downloads(before)).toEqual([]);
    expect(lstatSync(c.manifest).ino).toBe(inode);
    expect(stampId(c.stamp)).not.toBe(id);
    const restamped = stampId(c.stamp);
    await uni(['pkg', 'get', 'app'], c.env);
    expect(stampId(c.stamp)).toBe(restamped);
  });

  it('--offline with a damaged tree and a damaged archive fails clearly and leaves no half tree', async () => {
    const c = await cached();
    chmodSync(c.manifest, 0o644);
    writeFileSync(c.manifest, '{}');
    const bytes = readFileSync(c.archive);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    chmodSync(c.archive, 0o644);
    writeFileSync(c.archive, bytes);
    const before = reg.requests.length;
    const run = await uni(['pkg', 'get', 'app', '--offline'], c.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^uni: the cached archive of library\/app@1\.0\.0 \(x86_64\) is damaged \(.+\), and --offline forbids fetching it again\n$/);
    expect(reg.requests.slice(before)).toEqual([]);
    expect(existsSync(c.treeDir)).toBe(false);
    expect(existsSync(c.archive)).toBe(false);
    expect(leftovers(c.home)).toEqual([]);

    const online = await uni(['pkg', 'get', 'app'], c.env);
    expect(online.code).toBe(0);
    expect(downloads(before)).toHaveLength(1);
    expect(readFileSync(c.manifest).equals(c.original)).toBe(true);
  });

  it('a warm get of an untouched tree re-hashes nothing and leaves the stamp as it was', async () => {
    const c = await cached();
    const id = stampId(c.stamp);
    const before = reg.requests.length;
    for (let i = 0; i < 2; i++) {
      const run = await uni(['pkg', 'get', 'app'], c.env);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
    }
    expect(downloads(before)).toEqual([]);
    expect(stampId(c.stamp)).toBe(id);
  });
});
