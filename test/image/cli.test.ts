/** `uni image build` and `uni run` as a user runs them, without nanos: what they print and how they fail. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeHome, requireBuild, tempHome, uni } from '../e2e/harness.js';

const homes: string[] = [];
function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}
afterAll(() => homes.forEach(removeHome));

const env = () => ({ home: home(), registry: 'http://127.0.0.1:9' });

describe('uni run --dry-run', () => {
  it('prints the qemu command line for the image, ports forwarded from 127.0.0.1, and builds nothing', async () => {
    requireBuild();
    const e = env();
    const image = join(e.home, 'hello.img');
    const run = await uni(['run', '--dry-run', '--image', image, '-p', '8080', '-p', '6379', '--accel', 'tcg', '-m', '512M'], e);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const line = run.stdout.trim();
    expect(line.startsWith('qemu-system-')).toBe(true);
    expect(line).toContain(`-drive file=${image},format=raw,if=none,id=hd0`);
    expect(line).toContain('-netdev user,id=n0,hostfwd=tcp:127.0.0.1:8080-:8080,hostfwd=tcp:127.0.0.1:6379-:6379');
    expect(line).toContain('-m 512M');
    expect(line).toContain('-accel tcg -cpu max');
  });

  it('adds config.json\'s RunConfig: its ports beside -p, its Memory and CPUs unless given', async () => {
    const e = env();
    const config = join(e.home, 'config.json');
    writeFileSync(config, JSON.stringify({ Program: '/x', RunConfig: { Ports: ['8008'], Memory: '1G', CPUs: 2, Verbose: true } }));
    const run = await uni(['run', '--dry-run', '-c', config, '--image', '/tmp/x.img', '-p', '9000'], e);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('-netdev user,id=n0,hostfwd=tcp:127.0.0.1:8008-:8008,hostfwd=tcp:127.0.0.1:9000-:9000');
    expect(run.stdout).toContain('-smp 2 -m 1G');
    const mine = await uni(['run', '--dry-run', '-c', config, '--image', '/tmp/x.img', '-m', '3G', '--smp', '1'], e);
    expect(mine.stdout).toContain('-smp 1 -m 3G');
    const built = await uni(['run', '--dry-run', '-c', config], e);
    expect(built.stdout).toContain(`-drive file=${join(e.home, 'images', `${basename(e.home)}.img`)},format=raw`);
  });

  it('exits 2 naming a bad port, --accel or --smp', async () => {
    for (const [args, message] of [
      [['-p', '70000'], '-p 70000: a port is a number from 1 to 65535'],
      [['--accel', 'xen'], '--accel xen: use auto, kvm or tcg'],
      [['--smp', '0'], '--smp 0: a number of CPUs, 1 or more'],
    ] as const) {
      const run = await uni(['run', '--dry-run', '--image', '/tmp/x.img', ...args], env());
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });
});

describe('uni image build without nanos', () => {
  it('exits 1 saying where it looked and how to get nanos, and writes no image', async () => {
    const e = env();
    const project = join(e.home, 'proj');
    const output = join(e.home, 'out.img');
    mkdirSync(project);
    writeFileSync(join(project, 'config.json'), JSON.stringify({ Dependencies: { node: '>=18' } }));
    const run = await uni(['image', 'build', '-c', join(project, 'config.json'), '-o', output], e);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`uni: no nanos kernel for`);
    expect(run.stderr).toContain(`${e.home}/.ops (no nanos release folder)`);
    expect(run.stderr).toContain('`make -C tools` for mkfs');
    const missing = await uni(['image', 'build', '-c', join(project, 'config.json'), '-o', output, '--nanos', project], e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--nanos ${project} has no nanos for`);
    expect(existsSync(output)).toBe(false);
  });
});
