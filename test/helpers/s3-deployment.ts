/**
 * The registry on Node + SQLite + radosgw S3 as tests use it: `uni serve --blobs s3://...` as
 * a real subprocess against a real Ceph radosgw.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { s3BlobStore } from '../../server/adapters/s3-blob-store.js';
import type { Deployment } from '../api/suite.js';
import type { Radosgw } from '../blobstore/radosgw.js';
import { snapshotDataDir, startServerProcess } from './node-deployment.js';

export interface S3Deployment extends Deployment {
  dataDir: string;
  /** The `--blobs` URL the server was started with. */
  blobsUrl: string;
}

/** `endpoint` defaults to radosgw's own; a relay in front of it lets a test stop the store. */
export async function startS3Deployment(gw: Radosgw, options = '', endpoint = gw.endpoint): Promise<S3Deployment> {
  const bucket = await gw.createBucket();
  const dataDir = mkdtempSync(join(tmpdir(), 'uni-api-s3-'));
  // snapshotDataDir also lists the folder store; with S3 it stays empty and S3 is listed instead.
  mkdirSync(join(dataDir, 'blobs'));
  const adminToken = `test-admin-${Math.random().toString(36).slice(2)}-token`;
  // The server takes its S3 credentials from the environment, as in production.
  Object.assign(process.env, gw.env);
  const url = `s3://${bucket}/registry?endpoint=${encodeURIComponent(endpoint)}&forcePathStyle=true${options}`;
  const server = await startServerProcess(dataDir, adminToken, ['--blobs', url]);
  const view = s3BlobStore({ client: gw.client, bucket, prefix: 'registry/' });
  return {
    dataDir,
    blobsUrl: url,
    baseUrl: server.url,
    adminToken,
    snapshot: async () => {
      const uploads = await gw.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return {
        ...snapshotDataDir(dataDir),
        blobs: await view.list(),
        uploads: (uploads.Uploads ?? []).map((u) => u.Key),
      };
    },
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
