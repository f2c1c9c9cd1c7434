/**
 * `uni serve --seed-from-host`: a new registry gets packages made from this machine's own
 * programs, so that `uni pkg get node` works on the first try. The server never imports the
 * client: it runs the `uni` CLI (from-binary, then publish) as child processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UniError } from '../protocol/errors.js';

/** bin/uni.js of this checkout, from dist/server/ once built or server/ under a test runner. */
function uniBin(): string {
  for (const rel of ['../../bin/uni.js', '../bin/uni.js']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new UniError('seed_failed', 'cannot find bin/uni.js beside the server to run from-binary and publish');
}

export interface SeedPackage {
  name: string;
  program: string;
  version: string;
  /** Files the program opens at run time, which DT_NEEDED does not show. */
  add: string[];
}

/** Only a missing or empty data folder is seeded: a registry in use is never touched. */
export function isEmptyDataDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** `5:7.0.15-1~deb12u10` -> `7.0.15`: the upstream part of a Debian version, as semver. */
export function semverOfDebianVersion(debian: string): string | null {
  const m = /^(?:\d+:)?(\d+)\.(\d+)(?:\.(\d+))?/.exec(debian.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}` : null;
}

/**
 * The version of the Debian package that owns `program`, asked of dpkg rather than of the
 * program: seeding never runs a binary to learn its version.
 */
export function debianVersionOf(program: string): string | null {
  const real = existsSync(program) ? realpathSync(program) : program;
  // On a merged-/usr system dpkg still knows /usr/bin/ls as /bin/ls.
  const unmerged = (p: string): string => p.replace(/^\/usr\/(s?bin|lib)\//, '/$1/');
  for (const file of new Set([program, real, unmerged(program), unmerged(real)])) {
    const owner = spawnSync('dpkg-query', ['-S', file], { encoding: 'utf8' });
    if (owner.status !== 0) continue;
    const pkg = owner.stdout.split(':')[0]!.trim();
    const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
    if (version.status === 0) return semverOfDebianVersion(version.stdout);
  }
  return null;
}

/** node (the one running this server) always; python and redis when Debian installed them. */
export function hostSeedPlan(): SeedPackage[] {
  const plan: SeedPackage[] = [{ name: 'node', program: process.execPath, version: process.versions.node, add: [] }];
  const python = '/usr/bin/python3';
  const pyVersion = existsSync(python) ? debianVersionOf(python) : null;
  if (pyVersion) {
    const [major, minor] = pyVersion.split('.');
    const stdlib = `/usr/lib/python${major}.${minor}`;
    plan.push({ name: 'python', program: python, version: pyVersion, add: existsSync(stdlib) ? [stdlib] : [] });
  }
  const redis = '/usr/bin/redis-server';
  const redisVersion = existsSync(redis) ? debianVersionOf(redis) : null;
  if (redisVersion) plan.push({ name: 'redis', program: redis, version: redisVersion, add: [] });
  return plan;
}

/** Asynchronous: `uni pkg publish` talks to the server running in this very process. */
function runUni(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [uniBin(), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UniError('seed_failed', `"uni ${args.join(' ')}" failed: ${output.trim()}`));
    });
  });
}

/**
 * Makes and publishes each package of `plan` on its own: one that fails (a python whose
 * standard library cannot be read, say) is passed to `warn` and the others still go in.
 * Returns the names published.
 */
export async function seedFromHost(opts: {
  url: string;
  token: string;
  log: (line: string) => void;
  warn: (line: string) => void;
  plan?: SeedPackage[];
}): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'uni-seed-'));
  const env = { ...process.env, UNI_REGISTRY: opts.url, UNI_TOKEN: opts.token, UNI_HOME: join(work, 'home') };
  const published: string[] = [];
  try {
    for (const p of opts.plan ?? hostSeedPlan()) {
      const dir = join(work, `${p.name}_${p.version}`);
      opts.log(`seeding ${p.name}@${p.version} from ${p.program}${p.add.length ? ` (+ ${p.add.join(', ')})` : ''}`);
      try {
        await runUni(['pkg', 'from-binary', p.program, '--name', p.name, '--version', p.version, ...p.add.flatMap((a) => ['--add', a]), '-o', dir], env);
        await runUni(['pkg', 'publish', dir], env);
        published.push(p.name);
      } catch (e) {
        opts.warn(`${p.name} was not seeded: ${(e as Error).message}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return published;
}

/** What to type next, printed once the seed is in; `names` holds at least one package. */
export function seedNextSteps(url: string, names: string[]): string[] {
  const first = names.includes('node') ? 'node' : names[0]!;
  return [
    `seeded ${names.join(', ')}; try, in another terminal:`,
    `  export UNI_REGISTRY=${url}`,
    `  node bin/uni.js pkg get ${first}`,
    `  node bin/uni.js pkg contents ${first}`,
    // The example project depends on node.
    ...(names.includes('node') ? ['  cd examples/node-hello && node ../../bin/uni.js manifest'] : []),
  ];
}

/** When no package could be seeded: the registry still serves, and this is how to fill it. */
export function seedNothingSteps(url: string): string[] {
  const version = process.versions.node;
  return [
    'uni: nothing was seeded (the reasons are above); the registry is serving, empty. To publish by hand, in another terminal:',
    `  export UNI_REGISTRY=${url} UNI_TOKEN=<the admin token>`,
    `  node bin/uni.js pkg from-binary ${process.execPath} --name node --version ${version}`,
    `  node bin/uni.js pkg publish node_${version}`,
  ];
}
