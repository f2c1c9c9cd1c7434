/**
 * The system's own loader as the oracle: `ldd` prints what ld.so maps for a program. Also a
 * small compiler wrapper, so that tests build real programs and libraries with gcc.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { inParallel } from '../../server/mirror/parallel.js';

const run = promisify(execFile);

/** `name => /path` lines and the interpreter's path, paths normalized, linux-vdso left out. */
export function lddSet(program: string, env: NodeJS.ProcessEnv = process.env): Set<string> {
  const out = spawnSync('ldd', [program], { encoding: 'utf8', env });
  if (out.status !== 0) throw new Error(`ldd ${program} failed: ${out.stderr}${out.stdout}`);
  return parseLdd(out.stdout);
}

/** lddSet without blocking, so that many programs are compared with both cores busy. */
export async function lddSetAsync(program: string): Promise<Set<string>> {
  const { stdout } = await run('ldd', [program], { encoding: 'utf8' });
  return parseLdd(stdout);
}

function parseLdd(stdout: string): Set<string> {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim().replace(/ \(0x[0-9a-f]+\)$/, ''))
    .filter((l) => l !== '' && !l.startsWith('linux-vdso'));
  return new Set(lines.map((l) => l.replace(/=> (\S+)/, (_m, p: string) => `=> ${path.posix.normalize(p)}`)));
}

export function isElf(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return b.toString('latin1') === '\x7fELF';
  } finally {
    closeSync(fd);
  }
}

/**
 * About `count` dynamically linked programs spread evenly over the folders' sorted ELF files,
 * resolved and without repeats. binutils' readelf tells which have an interpreter, so that
 * the choice does not depend on the reader under test.
 */
export async function dynamicExecutables(dirs: string[], count: number): Promise<string[]> {
  const elves = new Set<string>();
  for (const dir of dirs) {
    for (const name of readdirSync(dir).sort()) {
      try {
        const real = realpathSync(path.join(dir, name));
        if (statSync(real).isFile() && isElf(real)) elves.add(real);
      } catch {
        // dangling link or unreadable: not a program to compare
      }
    }
  }
  const all = [...elves];
  const step = Math.max(1, Math.floor(all.length / (count * 1.1)));
  const spread = all.filter((_p, i) => i % step === 0);
  const interp = await inParallel(spread, 4, async (p) => (await run('readelf', ['-lW', p], { encoding: 'utf8' })).stdout.includes('INTERP'));
  return spread.filter((_p, i) => interp[i]).slice(0, count);
}

/** Compiles C source with gcc; `flags` are passed as they are (-shared, -Wl,-rpath,...). */
export function cc(out: string, source: string, flags: string[] = []): string {
  execFileSync('gcc', ['-x', 'c', '-', '-o', out, ...flags], { input: source, stdio: ['pipe', 'ignore', 'inherit'] });
  return out;
}

/** Installs Debian packages the oracle tests need when their program is absent. */
export function ensureDebianPackage(program: string, pkg: string): void {
  try {
    statSync(program);
    return;
  } catch {
    // absent: install below
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', pkg], { stdio: 'ignore', env, timeout: 300_000 });
}
