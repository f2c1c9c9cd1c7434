import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import type { PackageManifest } from '../../protocol/validate.js';
import type { InstalledPackage } from '../../client/types.js';
import { buildImageManifest } from '../../client/merge/build.js';
import { parseProjectConfig } from '../../client/merge/config.js';
import type { ImageManifest } from '../../client/merge/merge.js';
import { lookup, type ImageNode } from '../../client/merge/tree.js';

/** A file's bytes, or a symbolic link, or an executable file. */
export type Spec = string | { link: string } | { exec: string };

const made: string[] = [];
// Registered while the importing test file is collected, so each file removes its own folders.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder in the system temp folder, removed when the test file ends. */
export function tempDir(prefix = 'uni-merge-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes `files` (paths relative to `root`) to disk. */
export function layFiles(root: string, files: Record<string, Spec>): void {
  for (const [rel, spec] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof spec === 'string') {
      writeFileSync(path, spec);
      chmodSync(path, 0o644);
    } else if ('link' in spec) symlinkSync(spec.link, path);
    else {
      writeFileSync(path, spec.exec);
      chmodSync(path, 0o755);
    }
  }
}

export interface PackageSpec {
  name: string;
  version?: string;
  manifest?: Omit<PackageManifest, 'Version'>;
  /** Paths relative to the package's top folder: `sysroot/usr/bin/x`, `x` beside sysroot. */
  files?: Record<string, Spec>;
  dependencies?: Record<string, string>;
}

/** A package as the cache extracts it: `<cache>/<name>_<version>/` with package.manifest and sysroot/. */
export function makePackage(cache: string, spec: PackageSpec): InstalledPackage {
  const version = spec.version ?? '1.0.0';
  const short = spec.name.split('/').pop()!;
  const path = join(cache, `${short}_${version}`);
  const manifest: PackageManifest = { Version: version, ...(spec.manifest ?? {}), Dependencies: spec.dependencies ?? {} };
  layFiles(path, { 'package.manifest': JSON.stringify(manifest), ...(spec.files ?? {}) });
  mkdirSync(join(path, 'sysroot'), { recursive: true });
  return {
    name: spec.name.includes('/') ? spec.name : `library/${spec.name}`,
    version,
    arch: 'x86_64',
    digest: `sha256:${'0'.repeat(63)}${short.length % 10}`,
    path,
    manifest,
    dependencies: spec.dependencies ?? {},
  };
}

/** What ops gives every program, under the packages' and the config's Env. */
export const OPS_ENV = { USER: 'root', PWD: '/', NANOS_ARCH: 'amd64' };

export function at(m: ImageManifest, path: string): ImageNode | undefined {
  return lookup(m.root, path.split('/').filter(Boolean));
}

export function hostOf(m: ImageManifest, path: string): string {
  const node = at(m, path);
  if (node?.kind !== 'file') throw new Error(`${path} is not a file in the image`);
  return node.host;
}

export async function build(config: object, packages: InstalledPackage[], project: Record<string, Spec> = {}): Promise<ImageManifest> {
  const dir = tempDir('uni-project-');
  layFiles(dir, project);
  return buildImageManifest(parseProjectConfig(config), dir, packages, { arch: 'x86_64', generatedDir: join(dir, '.generated') });
}
