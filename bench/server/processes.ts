/** The servers the benchmark runs: ours, verdaccio and nginx, each a child process on loopback. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitHttp(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what} did not answer at ${url}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

export async function startOurs(dataDir: string, adminToken: string, extraArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'uni.js'), 'serve', '--port', String(port), '--data', dataDir, ...extraArgs], {
    env: { ...process.env, UNI_ADMIN_TOKEN: adminToken },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`, child, 'uni serve');
  return { url, process: child, stop: stopper(child) };
}

/** Installs verdaccio 6.8.0 into bench/peers on first use (kept out of the project's dependencies). */
export function ensureVerdaccio(): string {
  const peers = join(ROOT, 'bench', 'peers');
  const bin = join(peers, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  if (!existsSync(bin)) {
    process.stderr.write('installing verdaccio 6.8.0 into bench/peers ...\n');
    const r = spawnSync('npm', ['install', '--prefix', peers, '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm install --prefix bench/peers failed');
  }
  return bin;
}

/** `web` turns on verdaccio's web UI (its package pages), off by default as in the documents benchmark. */
export async function startVerdaccio(dir: string, web = false): Promise<Child> {
  const bin = ensureVerdaccio();
  const port = await freePort();
  const config = join(dir, 'config.yaml');
  mkdirSync(join(dir, 'storage'), { recursive: true });
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'web:',
      `  enable: ${web}`,
      'log: { type: stdout, format: pretty, level: fatal }',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [bin, '-c', config, '-l', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/-/ping`, child, 'verdaccio');
  return { url, process: child, stop: stopper(child) };
}

/** nginx from Debian (installed with apt-get when absent), serving `root` on loopback. */
export async function startNginx(dir: string, root: string): Promise<Child> {
  if (spawnSync('sh', ['-c', 'command -v nginx || test -x /usr/sbin/nginx']).status !== 0) {
    process.stderr.write('installing nginx ...\n');
    const r = spawnSync('apt-get', ['install', '-y', 'nginx'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('apt-get install -y nginx failed');
  }
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')};
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const bin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const child = spawn(bin, ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(url, child, 'nginx');
  return { url, process: child, stop: stopper(child) };
}
