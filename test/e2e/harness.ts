/**
 * End-to-end plumbing: the real registry (server/node.ts) on loopback in this process, the
 * `uni` binary as a subprocess with its own UNI_HOME, and a throttling TCP relay that makes a
 * download slow enough to interrupt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { listen, openNodeRegistry, type Listening } from '../../server/node.js';
import { serverConfig } from '../../server/config.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const UNI = join(ROOT, 'bin', 'uni.js');
export const ADMIN_TOKEN = 'uni-e2e-admin-token-0123456789';

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'client', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p .` before the end-to-end tests');
  }
}

export interface Registry {
  url: string;
  port: number;
  dataDir: string;
  /** `METHOD /path status` of every request served, to check what a run asked for. */
  requests: string[];
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
}

export async function startRegistry(dataDir = mkdtempSync(join(tmpdir(), 'uni-e2e-reg-')), port = 0): Promise<Registry> {
  let listening: Listening | null = null;
  const reg: Registry = {
    url: '',
    port,
    dataDir,
    requests: [],
    async stop() {
      await listening?.close();
      listening = null;
    },
    async start() {
      const registry = await openNodeRegistry({ dataDir, adminToken: ADMIN_TOKEN, config: serverConfig({ log: (line) => void reg.requests.push(line) }) });
      listening = await listen(registry, '127.0.0.1', reg.port);
      reg.url = listening.url;
      reg.port = Number(new URL(listening.url).port);
    },
  };
  await reg.start();
  return reg;
}

export async function publish(url: string, name: string, version: string, arch: string, bytes: Buffer, token = ADMIN_TOKEN): Promise<{ digest: string }> {
  const res = await fetch(`${url}/v1/packages/${name}/${version}/${arch}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: bytes,
  });
  const body = (await res.json()) as { digest: string };
  if (res.status !== 201 && res.status !== 200) throw new Error(`publish ${name}@${version}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * The set-up every end-to-end file shares: a built dist/, one registry for the file's tests,
 * handed to `ready` (which publishes what they need), and `home()`, a fresh UNI_HOME. After the
 * file, the registry stops and every home is removed.
 */
export function e2eSuite(ready: (reg: Registry) => Promise<void> | void): { home(): string } {
  let reg: Registry | undefined;
  const homes: string[] = [];
  beforeAll(async () => {
    requireBuild();
    reg = await startRegistry();
    await ready(reg);
  });
  afterAll(async () => {
    await reg?.stop();
    for (const h of homes) removeHome(h);
  });
  return {
    home() {
      const h = tempHome();
      homes.push(h);
      return h;
    },
  };
}

export interface UniRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface UniEnv {
  home: string;
  registry: string;
  token?: string;
}

export function uniEnv(env: UniEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: env.home,
    UNI_HOME: env.home,
    UNI_REGISTRY: env.registry,
    ...(env.token ? { UNI_TOKEN: env.token } : {}),
  };
}

/** Starts `uni`; asynchronous so that the registry in this process keeps answering. */
export function startUni(args: string[], env: UniEnv, input?: string): { child: ChildProcess; done: Promise<UniRun> } {
  const child = spawn(process.execPath, [UNI, ...args], { env: uniEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.end(input ?? '');
  const done = new Promise<UniRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function uni(args: string[], env: UniEnv, input?: string): Promise<UniRun> {
  return startUni(args, env, input).done;
}

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'uni-e2e-home-'));
}

/** Trees are read-only; give the write bits back so the temp folder can go. */
export function removeHome(home: string): void {
  const walk = (p: string): void => {
    try {
      chmodSync(p, 0o755);
      for (const d of readdirSync(p, { withFileTypes: true })) if (d.isDirectory()) walk(join(p, d.name));
    } catch {
      // already gone
    }
  };
  walk(home);
  rmSync(home, { recursive: true, force: true });
}

/** Temp files and folders a run left in the cache (names starting with a dot). */
export function leftovers(home: string): string[] {
  const out: string[] = [];
  for (const dir of [join(home, 'archives', 'sha256'), join(home, 'trees', 'sha256')]) {
    if (existsSync(dir)) out.push(...readdirSync(dir).filter((n) => n.startsWith('.')));
  }
  return out;
}

/**
 * A TCP relay to `target` that passes the answer back at `bytesPerSecond`: a real socket, only
 * slower, so that a test can act while a download is in flight.
 */
export async function startThrottle(targetPort: number, bytesPerSecond: number): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      upstream.pause();
      setTimeout(() => upstream.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', end).on('error', end);
    client.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
