/**
 * Fault class: the blob store's disk is full (a real tmpfs, filled). A publish answers 507
 * insufficient_storage with a message naming the store, read to the end so that `uni pkg
 * publish` prints it rather than EPIPE; nothing is kept; once space is freed the same publish
 * succeeds. Node + folder only: S3 and R2 have no disk of ours to fill (a full bucket quota on
 * S3 is the same 507, see docs/storage.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { gzipTar, packageEntries } from '../helpers/archive.js';
import { call, expectError } from '../helpers/http.js';
import { snapshotDataDir, startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';
import { mountTmpfs, tmpfsAvailable, type Tmpfs } from '../helpers/tmpfs.js';
import { uni } from '../e2e/harness.js';
import type { Snapshot } from './deployments.js';

const MiB = 1024 * 1024;
const ADMIN = 'test-admin-disk-full-token-0123456789';

describe.skipIf(!tmpfsAvailable())('Node + folder on a full tmpfs', () => {
  let fs: Tmpfs;
  let dataDir: string;
  let home: string;
  let server: ServerProcess;
  let archivePath: string;
  let archive: Buffer;
  const filler = () => join(fs.dir, 'filler');

  beforeAll(async () => {
    fs = mountTmpfs(48 * MiB);
    mkdirSync(join(fs.dir, 'blobs'));
    dataDir = mkdtempSync(join(tmpdir(), 'uni-full-data-'));
    // snapshotDataDir lists the default folder store too; here it stays empty.
    mkdirSync(join(dataDir, 'blobs'));
    home = mkdtempSync(join(tmpdir(), 'uni-full-home-'));
    // 32 MiB of random bytes: a gzip that size, far more than the 4 MiB left once filled and than socket buffers hold.
    const entries = packageEntries({ name: 'big', version: '1.0.0' });
    const top = entries[0]!.name;
    entries.push({ name: `${top}sysroot/usr/share/big.bin`, content: randomBytes(32 * MiB) });
    archive = await gzipTar(entries);
    archivePath = join(home, 'big.tar.gz');
    writeFileSync(archivePath, archive);
    server = await startServerProcess(dataDir, ADMIN, ['--blobs', join(fs.dir, 'blobs')]);
  });

  afterAll(async () => {
    await server?.stop();
    fs?.unmount();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  const snapshot = async (): Promise<Snapshot> => {
    const { rows } = snapshotDataDir(dataDir);
    return { rows, blobs: await fsBlobStore(join(fs.dir, 'blobs')).list() } as Snapshot;
  };

  it('answers 507 naming the store, to a raw PUT and to uni pkg publish, keeps nothing, and takes the publish once space is freed', async () => {
    writeFileSync(filler(), Buffer.alloc(44 * MiB));
    const before = await snapshot();
    const reply = await call(server.url, 'PUT', '/v1/packages/library/big/1.0.0/x86_64', { token: ADMIN, body: archive });
    expectError(reply, 507, new RegExp(`^blob store folder ${fs.dir}/blobs is full: writing tmp/[0-9a-f]+ found no space left; nothing was stored$`), 'insufficient_storage');
    expect(await snapshot()).toEqual(before);

    const env = { home, registry: server.url, token: ADMIN };
    const cli = await uni(['pkg', 'publish', archivePath], env);
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stderr).toContain(`blob store folder ${fs.dir}/blobs is full`);
    expect(cli.stderr).not.toMatch(/EPIPE|ECONNRESET|socket hang up|internal/);
    expect(await snapshot()).toEqual(before);

    unlinkSync(filler());
    const ok = await uni(['pkg', 'publish', archivePath, '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'library/big', version: '1.0.0' });
    const after = await snapshot();
    expect(after.rows['artifacts']).toHaveLength(before.rows['artifacts']!.length + 1);
    expect(after.blobs.filter((k) => k.startsWith('tmp/'))).toEqual([]);
  });
});
