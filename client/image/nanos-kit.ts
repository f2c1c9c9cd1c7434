import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import semver from 'semver';
import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';

/** What it takes to make and boot a nanos image. */
export interface NanosKit {
  kernel: string;
  /** The x86 boot sector image mkfs puts in front; aarch64 boots the kernel with qemu's -kernel instead. */
  boot?: string;
  mkfs: string;
  /** The folder of the klib binaries (ops's KlibDir), when the kit has one. */
  klibDir?: string;
  /** NANOS_VERSION: a release's version, or a source build's git commit. */
  version?: string;
  /** Where the kit was found, for messages. */
  from: string;
}

export interface KitSearch {
  arch: Arch;
  /** --nanos DIR */
  dir?: string;
  env: NodeJS.ProcessEnv;
  home: string;
}

const HOW_TO_GET = [
  'build nanos from source (https://github.com/nanovms/nanos): `make kernel` for the kernel and boot image, `make -C tools` for mkfs,',
  'then pass its output folder: `--nanos nanos/output` or `NANOS_DIR=nanos/output`;',
  'or install a release with ops (`ops update` keeps it in ~/.ops/<version>/) and put a nanos mkfs on the PATH',
].join(' ');

function isFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function executableOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** A source build records its commit in gitversion.c. */
function gitVersion(platformDir: string): string | undefined {
  const path = join(platformDir, 'gitversion.c');
  if (!existsSync(path)) return undefined;
  return /"([0-9a-f]{7,40})"/.exec(readFileSync(path, 'utf8'))?.[1];
}

/**
 * A nanos build's output folder (or the source folder holding `output/`): the kernel under
 * platform/pc (x86_64) or platform/virt (aarch64), mkfs under tools/bin.
 */
function buildOutputKit(dir: string, arch: Arch, looked: string[]): NanosKit | undefined {
  const out = existsSync(join(dir, 'output', 'tools')) ? join(dir, 'output') : dir;
  const platform = join(out, 'platform', arch === 'x86_64' ? 'pc' : 'virt');
  const kernel = join(platform, 'bin', 'kernel.img');
  const boot = join(platform, 'boot', 'boot.img');
  const mkfs = join(out, 'tools', 'bin', 'mkfs');
  const needed = arch === 'x86_64' ? [kernel, boot, mkfs] : [kernel, mkfs];
  const missing = needed.filter((p) => !isFile(p));
  if (missing.length > 0) {
    looked.push(`${dir} (a nanos build's output folder: ${missing.join(', ')} missing)`);
    return undefined;
  }
  const version = gitVersion(platform);
  return { kernel, ...(arch === 'x86_64' ? { boot } : {}), mkfs, klibDir: join(platform, 'bin'), ...(version ? { version } : {}), from: dir };
}

/** ops's release folder, ~/.ops/<version>/ (`<version>-arm` for aarch64): kernel.img, boot.img, klibs/; mkfs from the PATH. */
function releaseKit(dir: string, version: string | undefined, arch: Arch, env: NodeJS.ProcessEnv, looked: string[]): NanosKit | undefined {
  const kernel = join(dir, 'kernel.img');
  const boot = join(dir, 'boot.img');
  const mkfs = isFile(join(dir, 'mkfs')) ? join(dir, 'mkfs') : executableOnPath('mkfs', env);
  const missing = [kernel, ...(arch === 'x86_64' ? [boot] : [])].filter((p) => !isFile(p));
  if (mkfs === undefined) missing.push('mkfs (nanos tools/bin/mkfs) on the PATH');
  if (missing.length > 0 || mkfs === undefined) {
    looked.push(`${dir} (a release folder: ${missing.join(', ')} missing)`);
    return undefined;
  }
  const klibs = join(dir, 'klibs');
  return { kernel, ...(arch === 'x86_64' ? { boot } : {}), mkfs, ...(existsSync(klibs) ? { klibDir: klibs } : {}), ...(version ? { version } : {}), from: dir };
}

/** The newest release ops keeps: `0.1.52`, or `0.1.52-arm` for aarch64. */
function newestOpsRelease(opsHome: string, arch: Arch): { dir: string; version: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(opsHome);
  } catch {
    return undefined;
  }
  const suffix = arch === 'aarch64' ? '-arm' : '';
  const versions = names
    .filter((n) => (suffix ? n.endsWith(suffix) : true))
    .map((n) => (suffix ? n.slice(0, -suffix.length) : n))
    .filter((v) => semver.valid(v) !== null);
  const newest = semver.rsort(versions)[0];
  return newest === undefined ? undefined : { dir: join(opsHome, `${newest}${suffix}`), version: newest };
}

/** --nanos DIR, else NANOS_DIR, else ops's newest release with mkfs on the PATH; the error says where it looked and how to get nanos. */
export function findNanosKit(search: KitSearch): NanosKit {
  const looked: string[] = [];
  const given = search.dir ?? search.env['NANOS_DIR'];
  if (given !== undefined && given !== '') {
    const kit = buildOutputKit(resolve(given), search.arch, looked);
    if (kit) return kit;
    const flat = releaseKit(resolve(given), undefined, search.arch, search.env, looked);
    if (flat) return flat;
    const what = search.dir !== undefined ? '--nanos' : 'NANOS_DIR';
    throw new UniError('nanos_missing', `${what} ${given} has no nanos for ${search.arch}: looked in ${looked.join('; ')}. To get it: ${HOW_TO_GET}`);
  }
  const opsHome = join(search.home, '.ops');
  const release = newestOpsRelease(opsHome, search.arch);
  if (release) {
    const kit = releaseKit(release.dir, release.version, search.arch, search.env, looked);
    if (kit) return kit;
  } else looked.push(`${opsHome} (no nanos release folder)`);
  throw new UniError('nanos_missing', `no nanos kernel for ${search.arch}: --nanos and NANOS_DIR are not set, and ${looked.join('; ')}. To get it: ${HOW_TO_GET}`);
}
