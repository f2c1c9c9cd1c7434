/**
 * A real small file system for fault tests: a tmpfs of a given size (full after that many
 * bytes: ENOSPC), which can be remounted read-only (EROFS). Mounting needs root, as in CI;
 * elsewhere the tests that need it are skipped, unless CI=true makes that a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  readOnly(): void;
  writable(): void;
  unmount(): void;
}

function mountAt(dir: string, bytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
}

export function mountTmpfs(bytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'uni-tmpfs-'));
  try {
    mountAt(dir, bytes);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs at ${dir} (root is needed): ${(e as Error).message}`);
  }
  const remount = (mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'pipe' });
  return {
    dir,
    readOnly: () => remount('ro'),
    writable: () => remount('rw'),
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether this machine lets the tests mount one (always "yes" in CI, where a failure must show). */
export function tmpfsAvailable(): boolean {
  if (process.env['CI'] === 'true') return true;
  try {
    mountTmpfs(64 * 1024).unmount();
    return true;
  } catch {
    return false;
  }
}
