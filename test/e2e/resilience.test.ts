import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { spawn } from 'node:child_process';
import { UNI, e2eSuite, leftovers, publish, startThrottle, startUni, uni, uniEnv, waitFor, type Registry } from './harness.js';

let reg: Registry;
let bigDigest: string;

/** Incompressible, so that at 4 MB/s through the relay its download takes about two seconds. */
const BIG = 8 * 1024 * 1024;

const { home } = e2eSuite(async (r) => {
  reg = r;
  const archive = await buildPackage({
    name: 'big',
    version: '1.0.0',
    extra: [{ name: 'big_1.0.0/sysroot/data.bin', content: randomBytes(BIG) }],
  });
  bigDigest = (await publish(reg.url, 'library/big', '1.0.0', 'x86_64', archive)).digest;
});

function blobRequests(from: number): number {
  return reg.requests.slice(from).filter((l) => l.startsWith('GET /v1/blobs/')).length;
}

function tempArchiveStarted(h: string): boolean {
  const dir = join(h, 'archives', 'sha256');
  return existsSync(dir) && readdirSync(dir).some((n) => n.startsWith('.'));
}

describe('interruptions and concurrency', () => {
  it('a uni killed mid-download leaves nothing trusted; the next run finishes the job', async () => {
    const h = home();
    const slow = await startThrottle(reg.port, 4 * 1024 * 1024);
    try {
      const { child, done } = startUni(['pkg', 'get', 'big'], { home: h, registry: slow.url });
      await waitFor('the download to start', () => tempArchiveStarted(h));
      child.kill('SIGKILL');
      expect((await done).signal).toBe('SIGKILL');
    } finally {
      await slow.close();
    }
    expect(leftovers(h).length).toBeGreaterThan(0);
    expect(readdirSync(join(h, 'locks'))).toEqual([`${bigDigest.slice(7)}.lock`]);
    expect(readdirSync(join(h, 'trees', 'sha256')).filter((n) => !n.startsWith('.'))).toEqual([]);

    const rerun = await uni(['pkg', 'get', 'big', '--json'], { home: h, registry: reg.url });
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)[0].digest).toBe(bigDigest);
    expect(leftovers(h)).toEqual([]);
    expect(readdirSync(join(h, 'locks'))).toEqual([]);
    const verify = await uni(['cache', 'verify', '--json'], { home: h, registry: reg.url });
    expect(JSON.parse(verify.stdout)).toEqual({ archives: 1, trees: 1, removed: [] });
  });

  it('8 concurrent gets on an empty cache download the archive once and all succeed', async () => {
    const h = home();
    const before = reg.requests.length;
    const slow = await startThrottle(reg.port, 8 * 1024 * 1024);
    let runs;
    try {
      runs = await Promise.all(Array.from({ length: 8 }, () => uni(['pkg', 'get', 'big', '--json'], { home: h, registry: slow.url })));
    } finally {
      await slow.close();
    }
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)[0].digest).toBe(bigDigest);
    }
    expect(blobRequests(before)).toBe(1);
    expect(leftovers(h)).toEqual([]);
  });

  it('a registry that stops mid-download fails the run cleanly; when it is back, the rerun succeeds', async () => {
    const h = home();
    const slow = await startThrottle(reg.port, 4 * 1024 * 1024);
    const { done } = startUni(['pkg', 'get', 'big'], { home: h, registry: slow.url });
    await waitFor('the download to start', () => tempArchiveStarted(h));
    await slow.close();
    await reg.stop();
    let run;
    try {
      run = await done;
    } finally {
      await reg.start();
    }
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^uni: cannot connect to the registry at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\n$/);
    expect(leftovers(h)).toEqual([]);
    expect(readdirSync(join(h, 'archives', 'sha256'))).toEqual([]);
    expect(readdirSync(join(h, 'trees', 'sha256'))).toEqual([]);
    const rerun = await uni(['pkg', 'get', 'big', '--json'], { home: h, registry: reg.url });
    expect(rerun.code).toBe(0);
  });

  it('when the registry is down, the cache answers and stderr says so', async () => {
    const h = home();
    expect((await uni(['pkg', 'get', 'big'], { home: h, registry: reg.url })).code).toBe(0);
    await reg.stop();
    let run;
    try {
      run = await uni(['pkg', 'get', 'big', '--json'], { home: h, registry: reg.url });
    } finally {
      await reg.start();
    }
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)[0].digest).toBe(bigDigest);
    expect(run.stderr).toBe(`uni: cannot connect to the registry at ${reg.url} (connection refused); answering from the cache\n`);
  });

  it('draws a progress bar (bytes, rate, packages) on a terminal, and nothing of it in a pipe', async () => {
    const h = home();
    const slow = await startThrottle(reg.port, 8 * 1024 * 1024);
    try {
      // script(1) gives uni a terminal for stdout and stderr alike.
      const tty = await new Promise<string>((resolve) => {
        const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(UNI)} pkg get big`;
        const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: uniEnv({ home: h, registry: slow.url }) });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('close', () => resolve(out));
      });
      expect(tty).toMatch(/\d+\.\d MB\/\d+\.\d MB \| [\d.]+ [KM]?B\/s \| [01]\/1 packages/);
      expect(tty).toMatch(/library\/big\s+1\.0\.0\s+x86_64\s+\//);
      const piped = await uni(['pkg', 'get', 'big'], { home: home(), registry: slow.url });
      expect(piped.code).toBe(0);
      expect(piped.stderr).toBe('');
    } finally {
      await slow.close();
    }
  });
});
