/**
 * Publish and download of a 100 MB archive through `uni serve --blobs s3://...` beside the AWS
 * SDK's PutObject / GetObject of the same bytes straight to the same radosgw (the limit):
 * MB/s, the ratio, and the server's peak RSS during the publish. Run: `node dist/bench/s3.js`
 * (after `npx tsc -p .`); it starts and stops its own radosgw with scripts/radosgw.sh.
 * BENCH_S3_MB (default 100) and BENCH_S3_RUNS (default 3) change the size and the runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { writeBigArchive } from './server/fixtures.js';
import { median, rssSampler } from './server/measure.js';
import { freePort, ROOT } from './server/processes.js';

const MB = 1e6;
const SIZE = Number(process.env['BENCH_S3_MB'] ?? 100) * 1024 * 1024;
const RUNS = Number(process.env['BENCH_S3_RUNS'] ?? 3);
const SCRIPT = join(ROOT, 'scripts', 'radosgw.sh');
const ADMIN = 'bench-s3-admin-token-0123456789';

function radosgw(cmd: 'start' | 'stop'): Record<string, string> {
  const out = execFileSync('bash', [SCRIPT, cmd, '--user', String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of body as AsyncIterable<Uint8Array>) n += c.byteLength;
  return n;
}

async function main(): Promise<void> {
  const env = radosgw('start');
  Object.assign(process.env, env);
  const client = new S3Client({
    endpoint: env['S3_ENDPOINT']!,
    region: env['AWS_REGION']!,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = `uni-bench-${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-s3-'));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const port = await freePort();
  const blobs = `s3://${bucket}/registry?endpoint=${encodeURIComponent(env['S3_ENDPOINT']!)}&forcePathStyle=true`;
  const server = spawn(process.execPath, [join(ROOT, 'bin', 'uni.js'), 'serve', '--port', String(port), '--data', join(work, 'data'), '--blobs', blobs], {
    env: { ...process.env, UNI_ADMIN_TOKEN: ADMIN },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`${url}/healthz`).catch(() => null))?.ok) break;
      if (i > 300) throw new Error('uni serve did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const results = { directPut: [] as number[], directGet: [] as number[], ourPut: [] as number[], ourGet: [] as number[] };
    let peakMiB = 0;
    for (let run = 0; run < RUNS; run++) {
      const version = `1.0.${run}`;
      const file = join(work, `big-${run}.tar.gz`);
      await writeBigArchive(file, 'big', version, SIZE);
      const bytes = readFileSync(file);
      const mbs = bytes.byteLength / MB;

      results.directPut.push(mbs / (await timed(async () => {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `direct/${run}`, Body: bytes }));
      })));
      results.directGet.push(mbs / (await timed(async () => {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `direct/${run}` }));
        if ((await drain(res.Body!.transformToWebStream() as ReadableStream<Uint8Array>)) !== bytes.byteLength) throw new Error('short direct GET');
      })));

      const sampler = rssSampler(server.pid!);
      let digest = '';
      results.ourPut.push(mbs / (await timed(async () => {
        const res = await fetch(`${url}/v1/packages/library/big/${version}/x86_64`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/gzip' },
          body: bytes,
        });
        const json = (await res.json()) as { digest: string };
        if (res.status !== 201) throw new Error(`publish: ${res.status} ${JSON.stringify(json)}`);
        digest = json.digest;
      })));
      peakMiB = Math.max(peakMiB, sampler.stop().peakMiB);
      results.ourGet.push(mbs / (await timed(async () => {
        const res = await fetch(`${url}/v1/blobs/${digest.replace(':', '/')}`);
        if ((await drain(res.body!)) !== bytes.byteLength) throw new Error('short registry GET');
      })));
      rmSync(file);
    }
    const row = (what: string, ours: number[], direct: number[]): string =>
      `${what.padEnd(10)} ${median(ours).toFixed(1).padStart(10)} ${median(direct).toFixed(1).padStart(14)} ${(median(ours) / median(direct)).toFixed(2).padStart(7)}`;
    console.log(`S3 blob store on radosgw (memstore), ${(SIZE / MB).toFixed(0)} MB archive, median of ${RUNS} runs`);
    console.log(`${'op'.padEnd(10)} ${'ours MB/s'.padStart(10)} ${'aws-sdk MB/s'.padStart(14)} ${'ratio'.padStart(7)}`);
    console.log(row('publish', results.ourPut, results.directPut));
    console.log(row('download', results.ourGet, results.directGet));
    console.log(`server peak RSS during publish: ${peakMiB.toFixed(0)} MiB`);
  } finally {
    server.kill('SIGTERM');
    for (;;) {
      const list = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      if (!list.Contents?.length) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: list.Contents.map((o) => ({ Key: o.Key! })) } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
    rmSync(work, { recursive: true, force: true });
    radosgw('stop');
  }
}

await main();
