/**
 * `npm run test:boot`: images built by `uni image build` / `uni run` and booted on the real
 * nanos kernel in qemu, against a real registry on loopback holding node, python and redis
 * packed from this machine. Not part of `npm test`: it needs a nanos build (NANOS_DIR) and
 * qemu, and without them it fails saying how to get them; it never skips.
 */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMkfs } from '../../client/image/mkfs.js';
import { findNanosKit, type NanosKit } from '../../client/image/nanos-kit.js';
import { seedFromHost } from '../../server/seed.js';
import { ADMIN_TOKEN, removeHome, requireBuild, ROOT, startRegistry, startUni, tempHome, uni, type Registry, type UniRun } from '../e2e/harness.js';
import { answerA } from './dns.js';

const HOW_TO_BUILD = `build nanos at commit b9c3671d (https://github.com/nanovms/nanos): clone acpica (R09_30_21), lwip (STABLE-2_1_x) and mbedtls into vendor/ as its Makefile says and apply patches/acpica.patch, then \`make kernel\` and \`make -C tools\`; run with NANOS_DIR=<nanos>/output npm run test:boot (qemu-system-x86, nasm, python3 and redis-server from Debian)`;

let kit: NanosKit;
let registry: Registry;
let home: string;
const temps: string[] = [];

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

function project(config: object, files: Record<string, string> = {}): string {
  const dir = temp('uni-boot-project-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function env() {
  return { home, registry: registry.url };
}

/** Builds and boots the project's image; the image goes to the temp folder. */
function run(dir: string, extra: string[] = []): Promise<UniRun> {
  return uni(['run', '-c', join(dir, 'config.json'), '--nanos', kit.from, '-o', join(temp('uni-boot-image-'), 'image.img'), ...extra], env());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  requireBuild();
  const dir = process.env['NANOS_DIR'];
  if (!dir) throw new Error(`NANOS_DIR is not set. To boot images, ${HOW_TO_BUILD}`);
  try {
    kit = findNanosKit({ arch: 'x86_64', dir, env: process.env, home: tmpdir() });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nTo boot images, ${HOW_TO_BUILD}`);
  }
  for (const [program, what] of [
    ['qemu-system-x86_64', 'apt-get install qemu-system-x86'],
    ['/usr/bin/redis-server', 'apt-get install redis-server'],
    ['/usr/bin/python3', 'apt-get install python3'],
  ] as const) {
    try {
      execFileSync(program, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${program} is needed by the boot test: ${what}`);
    }
  }
  registry = await startRegistry();
  const warnings: string[] = [];
  const seeded = await seedFromHost({ url: registry.url, token: ADMIN_TOKEN, log: () => undefined, warn: (m) => warnings.push(m) });
  if (seeded.length !== 3) throw new Error(`node, python and redis must be published; got ${seeded.join(', ')}: ${warnings.join('; ')}`);
  home = tempHome();
}, 600_000);

afterAll(async () => {
  if (registry) {
    await registry.stop();
    rmSync(registry.dataDir, { recursive: true, force: true });
  }
  if (home) removeHome(home);
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe('images booted on nanos', () => {
  it('runs examples/node-hello as the README shows', async () => {
    const dir = temp('uni-boot-node-hello-');
    cpSync(join(ROOT, 'examples', 'node-hello'), dir, { recursive: true });
    const result = await run(dir);
    expect(result.stderr).not.toContain('uni:');
    expect(result.stdout).toMatch(/hello from a unikernel: node v\d+\.\d+\.\d+ on Nanos x64/);
    expect(result.code).toBe(0);
  });

  it('copies Args[1] into the image, gives os.userInfo() a root user, writes the hostname file, and exits with the program\'s code', async () => {
    const script = `const os = require('node:os'); const hostname = require('node:fs').readFileSync('/proc/sys/kernel/hostname', 'utf8'); console.log('user=' + os.userInfo().username + ' home=' + os.userInfo().homedir + ' USER=' + process.env.USER + ' hostname file=' + hostname); process.exit(3);`;
    const dir = project({ Dependencies: { node: '*' }, Args: ['who.js'] }, { 'who.js': script });
    const result = await run(dir);
    expect(result.stdout).toContain('user=root home=/root USER=root hostname file=uniboot');
    expect(result.code).toBe(3);
  });

  it('resolves a name through NameServers, answered by a DNS responder on the host reached as 10.0.2.2', async () => {
    const socket = dgram.createSocket('udp4');
    const asked: string[] = [];
    socket.on('message', (query, from) => {
      const { name, reply } = answerA(query, '192.0.2.7');
      asked.push(name);
      socket.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) => reject(new Error(`the boot test answers DNS on 127.0.0.1:53, which the guest reaches as 10.0.2.2:53; it needs that port free and the right to bind it (root or CAP_NET_BIND_SERVICE): ${e.message}`)));
      socket.bind(53, '127.0.0.1', resolve);
    });
    try {
      const script = `require('node:dns').lookup('registry.unipkg.test', { family: 4 }, (err, address) => { console.log(err ? 'lookup failed: ' + err.code : 'address=' + address); process.exit(err ? 1 : 0); });`;
      const dir = project({ Dependencies: { node: '*' }, Args: ['lookup.js'], NameServers: ['10.0.2.2'] }, { 'lookup.js': script });
      const result = await run(dir);
      expect(result.stdout).toContain('address=192.0.2.7');
      expect(asked).toContain('registry.unipkg.test');
      expect(result.code).toBe(0);
    } finally {
      socket.close();
    }
  });

  it('mounts a volume at a mount point the image did not have, and the program\'s write is on the volume', async () => {
    const volumes = temp('uni-boot-volume-');
    const volume = join(volumes, 'data.raw');
    await runMkfs({ kit, manifest: '(children:())', output: volume, label: 'data', size: '8m', volume: true });
    const script = `require('node:fs').writeFileSync('/var/data/out.txt', 'written in the guest'); console.log('wrote');`;
    const dir = project({ Dependencies: { node: '*' }, Args: ['write.js'], Mounts: { data: '/var/data' } }, { 'write.js': script });
    const result = await run(dir, ['-v', volume]);
    expect(result.stdout).not.toContain('mount point /var/data not found');
    expect(result.stdout).toContain('wrote');
    expect(result.code).toBe(0);
    const out = join(volumes, 'dump');
    execFileSync(join(kit.mkfs, '..', 'dump'), ['-d', out, volume], { stdio: 'ignore' });
    expect(readFileSync(join(out, 'out.txt'), 'utf8')).toBe('written in the guest');
  });

  it('loads a klib from the kit: special_files makes /sys/devices/disks', async () => {
    const script = `const fs = require('node:fs'); console.log('disks=' + JSON.stringify(fs.readFileSync('/sys/devices/disks', 'utf8')));`;
    const config = { Dependencies: { node: '*' }, Args: ['disks.js'], Klibs: ['special_files'], ManifestPassthrough: { special_files: { disks: {} } } };
    const result = await run(project(config, { 'disks.js': script }));
    expect(result.stdout).toMatch(/disks=".+"/);
    expect(result.code).toBe(0);
  });

  it('runs python with its standard library: hello, getpass.getuser(), ssl and sqlite3', async () => {
    const script = `import getpass, ssl, sqlite3\nprint('hello from python as', getpass.getuser(), sqlite3.sqlite_version != '', ssl.OPENSSL_VERSION != '')\n`;
    const result = await run(project({ Dependencies: { python: '*' }, Args: ['hello.py'] }, { 'hello.py': script }));
    expect(result.stdout).toContain('hello from python as root True True');
    expect(result.code).toBe(0);
  });

  it('serves redis PING through a port forwarded with -p on 127.0.0.1', async () => {
    const port = await freePort();
    const dir = project({ Dependencies: { redis: '*' }, Args: ['--port', String(port), '--protected-mode', 'no', '--save', ''] });
    const { child, done } = startUni(['run', '-c', join(dir, 'config.json'), '--nanos', kit.from, '-o', join(temp('uni-boot-image-'), 'redis.img'), '-p', String(port)], env());
    try {
      const deadline = Date.now() + 300_000;
      let answer = '';
      while (Date.now() < deadline && !answer.startsWith('+PONG')) {
        answer = await new Promise<string>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
          s.setTimeout(5_000, () => s.destroy());
          s.on('data', (d) => {
            resolve(d.toString());
            s.destroy();
          });
          s.on('error', () => resolve(''));
          s.on('close', () => resolve(''));
        });
        if (!answer.startsWith('+PONG')) await new Promise((r) => setTimeout(r, 2_000));
      }
      expect(answer).toBe('+PONG\r\n');
    } finally {
      child.kill('SIGTERM');
      await done;
    }
  });
});
