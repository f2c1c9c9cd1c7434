/**
 * Origin and mirror as real `uni serve` subprocesses on loopback, each with its own data
 * folder, plus what the mirror tests read from their data: request logs and stored blobs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';
import { waitFor } from '../e2e/harness.js';

const UNI = join(import.meta.dirname, '..', '..', 'bin', 'uni.js');

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface Server {
  url: string;
  port: number;
  dataDir: string;
  adminToken: string;
  process: ServerProcess;
  /**
   * Request lines (`GET /path 200 1.2ms`) the process printed since it started, up to now:
   * it is asked for /healthz first and its line awaited, so every request answered before
   * the call is included (the log line is written before the answer is sent).
   */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
  /** Starts again on the same port with the same data and arguments. */
  restart(): Promise<void>;
}

export async function startServer(args: string[] = [], dataDir = mkdtempSync(join(tmpdir(), 'uni-mirror-'))): Promise<Server> {
  const adminToken = `mirror-admin-${Math.random().toString(36).slice(2)}-token`;
  let proc = await startServerProcess(dataDir, adminToken, args);
  const server: Server = {
    url: proc.url,
    port: Number(new URL(proc.url).port),
    dataDir,
    adminToken,
    process: proc,
    async requests() {
      const lines = (): string[] => proc.output().split('\n').filter((l) => /^(GET|HEAD|PUT|POST|DELETE) \//.test(l));
      const markers = (): number => lines().filter((l) => l.startsWith('GET /healthz ')).length;
      const seen = markers();
      await fetch(`${server.url}/healthz`).then((r) => r.arrayBuffer());
      await waitFor('the request log', () => markers() > seen);
      return lines().filter((l) => !l.startsWith('GET /healthz '));
    },
    stop: () => proc.stop(),
    async restart() {
      proc = await startServerProcess(dataDir, adminToken, [...args, '--port', String(server.port)]);
      server.process = proc;
    },
  };
  return server;
}

export function blobPath(dataDir: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return join(dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
}

/** Files being staged under blobs/tmp: a refused or interrupted blob must leave none. */
export function stagedFiles(dataDir: string): string[] {
  const dir = join(dataDir, 'blobs', 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

export function query<T>(dataDir: string, sql: string, params: unknown[] = []): T[] {
  const db = new Database(join(dataDir, 'registry.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `uni <args>` to its end (for commands that are expected to stop by themselves). */
export function runUni(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [UNI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
