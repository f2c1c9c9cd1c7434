/** Measurements: requests per second (autocannon), download MB/s (curl), peak RSS (/proc). */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface Rps {
  rps: number;
  p99: number;
}

/** Warms up, then measures; refuses a run with any error or non-2xx answer. */
export async function requestsPerSecond(url: string, seconds: number, connections = 32): Promise<Rps> {
  await autocannon({ url, connections, duration: 2 });
  const r = await autocannon({ url, connections, duration: seconds });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { rps: r.requests.average, p99: r.latency.p99 };
}

/** MB/s of one download through curl into /dev/null (curl's own figure). */
export function downloadMBps(url: string): number {
  const r = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{speed_download} %{http_code}', url], { encoding: 'utf8' });
  const [speed, code] = r.stdout.trim().split(' ');
  if (r.status !== 0 || code !== '200') throw new Error(`curl ${url}: exit ${r.status}, HTTP ${code}: ${r.stderr}`);
  return Number(speed) / 1e6;
}

/** MB/s of `n` simultaneous curl downloads of `url`: all bytes over the wall time from first start to last end. */
export async function parallelDownloadMBps(url: string, n: number): Promise<number> {
  const started = performance.now();
  const bytes = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number>((resolve, reject) => {
          const child = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{http_code}', url], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('error', reject);
          child.on('close', (status) => {
            const [size, code] = out.trim().split(' ');
            if (status !== 0 || code !== '200') reject(new Error(`curl ${url}: exit ${status}, HTTP ${code}: ${err}`));
            else resolve(Number(size));
          });
        }),
    ),
  );
  return bytes.reduce((a, b) => a + b, 0) / 1e6 / ((performance.now() - started) / 1000);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Samples a process's resident memory until stopped; the peak is the larger of the samples and the kernel's high-water mark. */
export function rssSampler(pid: number, everyMs = 50): { stop(): { peakMiB: number } } {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakMiB: Math.max(peak, statusKiB(pid, 'VmHWM')) / 1024 };
    },
  };
}
