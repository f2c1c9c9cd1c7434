/**
 * The BlobStore contract on the R2 adapter, against workerd's R2 implementation: Miniflare
 * hands the real binding to this Node process.
 */
import { Miniflare } from 'miniflare';
import { r2BlobStore, type R2Binding } from '../../server/adapters/r2-blob-store.js';
import { defineBlobStoreContract, defineUnavailableContract } from '../blobstore/contract.js';

process.env['WRANGLER_SEND_METRICS'] = 'false';
process.env['CLOUDFLARE_CF_FETCH_ENABLED'] = 'false';

const PART = 5 * 1024 * 1024;

async function openR2() {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    r2Buckets: ['BLOBS'],
  });
  const bucket = (await mf.getR2Bucket('BLOBS')) as unknown as R2Binding;
  return { mf, store: r2BlobStore(bucket, { prefix: 'reg/', partSize: PART }) };
}

defineBlobStoreContract(
  'R2 binding (workerd)',
  async () => {
    const { mf, store } = await openR2();
    return { store, keys: () => store.list(), close: () => mf.dispose() };
  },
  { multipartBytes: 2 * PART },
);

defineUnavailableContract('R2 binding whose workerd has stopped (Miniflare disposed)', async () => {
  const { mf, store } = await openR2();
  let stopped = false;
  return {
    store,
    keys: () => store.list(),
    break: async () => {
      stopped = true;
      await mf.dispose();
    },
    close: async () => {
      if (!stopped) await mf.dispose();
    },
  };
});
