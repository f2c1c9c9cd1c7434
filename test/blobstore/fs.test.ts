import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { mountTmpfs, tmpfsAvailable } from '../helpers/tmpfs.js';
import { defineBlobStoreContract, defineFullContract, defineUnavailableContract, streamOf } from './contract.js';

const MiB = 1024 * 1024;

defineBlobStoreContract(
  'folder',
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'uni-blobs-'));
    const store = fsBlobStore(root);
    return { store, keys: () => store.list(), close: async () => rmSync(root, { recursive: true, force: true }) };
  },
  // The folder has no parts; a body this size still spans many write batches.
  { multipartBytes: 2 * 1024 * 1024 },
);

describe.skipIf(!tmpfsAvailable())('folder faults on a real tmpfs', () => {
  defineUnavailableContract('folder remounted read-only (EROFS)', async () => {
    const fs = mountTmpfs(8 * MiB);
    const store = fsBlobStore(fs.dir);
    return {
      store,
      keys: () => store.list(),
      break: async () => fs.readOnly(),
      repair: async () => fs.writable(),
      close: async () => fs.unmount(),
    };
  });

  defineFullContract('folder on a full tmpfs (ENOSPC)', async () => {
    const fs = mountTmpfs(8 * MiB);
    const store = fsBlobStore(fs.dir);
    // Fills all but about 1 MiB, so that the body runs out of room part-way.
    const filler = join(fs.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(7 * MiB));
    return {
      store,
      freeBytes: 1 * MiB,
      keys: () => store.list(),
      freeUp: async () => unlinkSync(filler),
      close: async () => fs.unmount(),
    };
  });
});

it('reads a damaged folder (a file where a folder should be) as a 503 fault, not as absent', async () => {
  const root = mkdtempSync(join(tmpdir(), 'uni-blobs-'));
  try {
    const store = fsBlobStore(root);
    const bytes = new TextEncoder().encode('damaged');
    const blob = await store.stage(streamOf(bytes), 100);
    await store.commit(blob);
    const prefixDir = join(root, 'sha256', blob.digest.slice(7, 9));
    await rm(prefixDir, { recursive: true });
    writeFileSync(prefixDir, 'not a folder');
    const fault = { code: 'blob_store_unavailable', status: 503 };
    await expect(store.head(blob.digest)).rejects.toMatchObject(fault);
    await expect(store.get(blob.digest)).rejects.toMatchObject(fault);
    await expect(store.head(blob.digest)).rejects.toThrow(/ENOTDIR/);
    // A digest under another prefix is plainly absent.
    expect(await store.head(`sha256:${blob.digest.slice(7, 9) === '00' ? '11' : '00'}${'0'.repeat(62)}`)).toBeNull();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
