import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { defineBlobStoreContract } from './contract.js';

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
