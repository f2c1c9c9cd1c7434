/**
 * `uni serve gc` over a folder store of 10,000 blobs of which 1,000 are unreferenced (and past
 * the grace period), beside the physical limit: `find -type f -mmin +60 -delete` over the same
 * tree, where only those 1,000 are old, so that find walks and stats the same 10,000 files and
 * deletes the same 1,000, but asks no database. Medians of 3, each on a fresh copy of the tree.
 *   npm run bench:gc
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fsBlobStore } from '../server/adapters/fs-blob-store.js';
import { openSqlite, sqliteDb } from '../server/adapters/sqlite-db.js';
import { applyMigrations } from '../server/adapters/sqlite-migrate.js';
import { collectGarbage } from '../server/gc/collect.js';
import { migrationsDir } from '../server/node.js';
import { systemClock } from '../server/ports.js';
import { median } from './server/measure.js';
import { ROOT } from './server/processes.js';

const BLOBS = 10_000;
const UNREFERENCED = 1_000;
const BLOB_BYTES = 1024;
const RUNS = 3;
const TWO_HOURS_AGO = (Date.now() - 2 * 60 * 60 * 1000) / 1000;

/** A data folder: registry.sqlite whose artifacts reference 9,000 blobs, and the 10,000 blobs. */
function buildTemplate(dir: string): void {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(join(dir, 'blobs', 'tmp'), { recursive: true });
  const sqlite = new Database(join(dir, 'registry.sqlite'));
  applyMigrations(sqlite, migrationsDir());
  const pkg = sqlite.prepare(`INSERT INTO packages (name, namespace, short_name, private, created_at, updated_at) VALUES (?, 'library', ?, 0, 'now', 'now')`);
  const ver = sqlite.prepare(`INSERT INTO versions (package, version, dependencies, published_at) VALUES (?, '1.0.0', '{}', 'now')`);
  const art = sqlite.prepare(`INSERT INTO artifacts (package, version, arch, digest, size, manifest, files, published_at) VALUES (?, '1.0.0', 'x86_64', ?, ?, '{}', '[]', 'now')`);
  const fill = sqlite.transaction(() => {
    for (let i = 0; i < BLOBS; i++) {
      const bytes = randomBytes(BLOB_BYTES);
      const hex = createHash('sha256').update(bytes).digest('hex');
      mkdirSync(join(blobs, hex.slice(0, 2)), { recursive: true });
      const file = join(blobs, hex.slice(0, 2), hex);
      writeFileSync(file, bytes);
      if (i < UNREFERENCED) {
        utimesSync(file, TWO_HOURS_AGO, TWO_HOURS_AGO);
        continue;
      }
      const name = `library/p${i}`;
      pkg.run(name, `p${i}`);
      ver.run(name);
      art.run(name, `sha256:${hex}`, BLOB_BYTES);
    }
  });
  fill();
  sqlite.close();
}

function timed(cmd: string, args: string[]): { seconds: number; stdout: string } {
  const started = performance.now();
  const run = spawnSync(cmd, args, { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return { seconds, stdout: run.stdout };
}

/** collectGarbage alone, in this process: the gc's own time, without Node's start-up. */
async function timedInProcess(dataDir: string): Promise<number> {
  const db = sqliteDb(openSqlite(join(dataDir, 'registry.sqlite')));
  try {
    const started = performance.now();
    const report = await collectGarbage(db, fsBlobStore(join(dataDir, 'blobs')), systemClock, 60 * 60 * 1000);
    const seconds = (performance.now() - started) / 1000;
    if (report.deleted !== UNREFERENCED || report.scanned !== BLOBS) throw new Error(`gc reported ${JSON.stringify(report)}`);
    return seconds;
  } finally {
    await db.close();
  }
}

function fresh(template: string, work: string, i: number): string {
  const copy = join(work, `run${i}`);
  const cp = spawnSync('cp', ['-a', template, copy]);
  if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
  // The page cache holds what the copy just wrote for both contenders alike.
  return copy;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-gc-'));
  try {
    const template = join(work, 'template');
    buildTemplate(template);
    const ours: number[] = [];
    const cli: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const inProcess = fresh(template, work, 3 * i + 2);
      ours.push(await timedInProcess(inProcess));
      rmSync(inProcess, { recursive: true, force: true });

      const a = fresh(template, work, 3 * i);
      const run = timed(process.execPath, [join(ROOT, 'bin', 'uni.js'), 'serve', 'gc', '--data', a, '--grace', '1h', '--json']);
      const report = JSON.parse(run.stdout) as { deleted: number; scanned: number; freedBytes: number };
      if (report.deleted !== UNREFERENCED || report.scanned !== BLOBS) throw new Error(`gc reported ${run.stdout}`);
      cli.push(run.seconds);
      rmSync(a, { recursive: true, force: true });

      const b = fresh(template, work, 3 * i + 1);
      peer.push(timed('find', [join(b, 'blobs', 'sha256'), '-type', 'f', '-mmin', '+60', '-delete']).seconds);
      rmSync(b, { recursive: true, force: true });
    }
    const o = median(ours);
    const p = median(peer);
    const line = (what: string, xs: number[]) => `  ${what.padEnd(40)} median ${median(xs).toFixed(3)} s  runs ${xs.map((x) => x.toFixed(3)).join(', ')}`;
    console.log(`gc over ${BLOBS} blobs, ${UNREFERENCED} unreferenced, folder store (${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)})`);
    console.log(line('collectGarbage (in process)', ours));
    console.log(line('uni serve gc (process start included)', cli));
    console.log(line('find -mmin +60 -delete (limit)', peer));
    console.log(`  ratio gc/limit: ${(o / p).toFixed(1)}x`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
