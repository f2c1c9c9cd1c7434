/**
 * `uni pkg get --ops`: fetched packages laid where `ops pkg load --local` finds them, so that
 * uni can feed an existing ops install. ops (cmd/flags_pkg.go, PackagePath) reads a local
 * package from `$OPS_HOME/.ops/local_packages/<amd64|arm64>/<what was typed>` (OPS_HOME
 * defaulting to the home folder), and lists namespaced ones one level deeper
 * (lepton/local_package.go): `node_20.5.0` or `eyberg/node_20.5.0`.
 */
import { chmodSync, cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_NAMESPACE, topFolderName, type Arch } from '../../protocol/names.js';

/** ops's names for the architectures. */
const OPS_ARCH: Record<Arch, string> = { x86_64: 'amd64', aarch64: 'arm64' };

export function opsHome(env: NodeJS.ProcessEnv): string {
  return join(env['OPS_HOME'] || homedir(), '.ops');
}

/** What to type after `ops pkg load --local` for this package. */
export function opsLocalName(fullName: string, version: string): string {
  const [ns, name] = fullName.split('/') as [string, string];
  const folder = topFolderName(name, version);
  return ns === DEFAULT_NAMESPACE ? folder : `${ns}/${folder}`;
}

/** The cached tree is read-only; ops's copy is the user's own, to change or remove. */
function makeWritable(path: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st || st.isSymbolicLink()) return;
  chmodSync(path, st.mode | 0o200);
  if (st.isDirectory()) for (const name of readdirSync(path)) makeWritable(join(path, name));
}

/**
 * Copies the extracted tree (package.manifest and sysroot/) to ops's local packages, replacing
 * an earlier copy; the copy is made beside its place and renamed in, so ops never sees half.
 */
export function layForOps(pkg: { name: string; version: string; arch: Arch; path: string }, home: string): { path: string; load: string } {
  const load = opsLocalName(pkg.name, pkg.version);
  const dest = join(home, 'local_packages', OPS_ARCH[pkg.arch], load);
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.uni-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    cpSync(pkg.path, tmp, { recursive: true, verbatimSymlinks: true });
    makeWritable(tmp);
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { path: dest, load };
}
