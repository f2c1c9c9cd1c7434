/**
 * The registry on Node as tests use it: `uni serve` as a real subprocess on a free loopback
 * port, with its SQLite file and blob folder in a temporary data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import type { Deployment } from '../api/suite.js';

const UNI = join(import.meta.dirname, '..', '..', 'bin', 'uni.js');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** What it printed on stdout alone. */
  stdout(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServerProcess(dataDir: string, adminToken: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [UNI, 'serve', '--port', '0', '--data', dataDir, ...extraArgs], {
    env: { ...process.env, UNI_ADMIN_TOKEN: adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    stdout: () => stdout,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

function walk(dir: string, root: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, root, out);
    else out.push(relative(root, path));
  }
}

const TABLES = ['namespaces', 'packages', 'versions', 'artifacts', 'changes', 'tokens'];

/** Every row of every registry table, and every file under blobs/ (staged ones included). */
export function snapshotDataDir(dataDir: string): { rows: Record<string, unknown[]>; blobs: string[] } {
  const db = new Database(join(dataDir, 'registry.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows: Record<string, unknown[]> = {};
    for (const t of TABLES) rows[t] = db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all();
    const blobs: string[] = [];
    walk(join(dataDir, 'blobs'), join(dataDir, 'blobs'), blobs);
    return { rows, blobs: blobs.sort() };
  } finally {
    db.close();
  }
}

export interface NodeFsDeployment extends Deployment {
  dataDir: string;
  server: ServerProcess;
}

export async function startNodeFsDeployment(extraArgs: string[] = []): Promise<NodeFsDeployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'uni-api-'));
  const adminToken = `test-admin-${Math.random().toString(36).slice(2)}-token`;
  const server = await startServerProcess(dataDir, adminToken, extraArgs);
  return {
    dataDir,
    server,
    baseUrl: server.url,
    adminToken,
    snapshot: async () => snapshotDataDir(dataDir),
    stop: async () => {
      await server.stop();
      if (process.env['UNI_TEST_SERVER_LOG']) process.stderr.write(server.output());
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
