/**
 * A real S3 server for tests: Ceph's radosgw on loopback, started by scripts/radosgw.sh and
 * shared by the test files of one run (the last one to leave stops it).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'radosgw.sh');

export interface Radosgw {
  endpoint: string;
  env: Record<string, string>;
  client: S3Client;
  /** A fresh bucket for one test file, emptied and removed by release(). */
  createBucket(): Promise<string>;
  /** Caps a bucket at `maxBytes` (radosgw then refuses writes past it: QuotaExceeded), or lifts the cap with null. */
  setBucketQuota(bucket: string, maxBytes: number | null): Promise<void>;
  release(): Promise<void>;
}

async function hasRadosgw(): Promise<boolean> {
  return run('sh', ['-c', 'command -v radosgw']).then(
    () => true,
    () => false,
  );
}

/**
 * Outside CI, a machine without Ceph skips the S3 tests (the script would install it with
 * apt-get, which needs root); in CI they always run.
 */
export async function radosgwAvailable(): Promise<boolean> {
  return process.env['CI'] === 'true' || (await hasRadosgw());
}

export function s3Client(env: Record<string, string>): S3Client {
  return new S3Client({
    endpoint: env['S3_ENDPOINT']!,
    region: env['AWS_REGION']!,
    forcePathStyle: true,
    credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']! },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const res = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (res.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
}

export async function startRadosgw(): Promise<Radosgw> {
  const { stdout } = await run('bash', [SCRIPT, 'start', '--user', String(process.pid)], { timeout: 300_000 });
  const env: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  const client = s3Client(env);
  const buckets: string[] = [];
  return {
    endpoint: env['S3_ENDPOINT']!,
    env,
    client,
    async createBucket() {
      const bucket = `uni-test-${randomBytes(6).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      buckets.push(bucket);
      return bucket;
    },
    async setBucketQuota(bucket, maxBytes) {
      const conf = join(process.env['RADOSGW_DIR'] ?? join(process.env['TMPDIR'] ?? '/tmp', 'unipkg-radosgw'), 'ceph.conf');
      const admin = (args: string[]) => run('radosgw-admin', ['-c', conf, 'quota', ...args, '--quota-scope=bucket', `--bucket=${bucket}`]);
      if (maxBytes === null) {
        await admin(['disable']);
        return;
      }
      await admin(['set', `--max-size=${maxBytes}`]);
      await admin(['enable']);
    },
    async release() {
      for (const bucket of buckets) {
        await emptyBucket(client, bucket);
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      }
      client.destroy();
      await run('bash', [SCRIPT, 'stop', '--user', String(process.pid)], { timeout: 120_000 });
    },
  };
}
