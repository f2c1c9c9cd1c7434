/**
 * Checks that an archive is what it is published (or downloaded) as: its top folder, the
 * manifest's Name, Version and Arch, and the CPU of its Program when the archive holds it.
 */
import { UniError } from '../errors.js';
import { normalizeVersion, parseArch, topFolderName, type Arch } from '../names.js';
import { describeElf } from './elf-header.js';
import type { ArchiveContents } from './read.js';
import { SYSROOT } from './rules.js';

export interface ArchiveIdentity {
  name: string;
  /** Normalized (no leading `v`). */
  version: string;
  arch: Arch;
}

/**
 * Where Program lives in the archive, relative to the top folder, or null when the manifest
 * names none. An absolute Program is an image path, so it lives in sysroot/; ops also writes
 * `<top>/<file>` for a program kept beside sysroot/.
 */
export function programPath(contents: Pick<ArchiveContents, 'topFolder' | 'manifest'>): string | null {
  const program = contents.manifest.Program;
  if (program === undefined) return null;
  if (program.startsWith('/')) return `${SYSROOT}${program.replace(/\/+$/, '')}`;
  const prefix = `${contents.topFolder}/`;
  if (program.startsWith(prefix) && program.length > prefix.length) return program.slice(prefix.length);
  throw new UniError(
    'invalid_manifest',
    `package.manifest: field /Program "${program}" must be an absolute image path (/usr/bin/app) or "${prefix}<file>"`,
  );
}

export function checkArchiveIdentity(contents: ArchiveContents, expected: ArchiveIdentity): void {
  const { topFolder, manifest } = contents;
  const wanted = topFolderName(expected.name, expected.version);
  // ops names the folder after the version as written: `v1.2.3`, or `1.0` where semver reads 1.0.0.
  const spellings = [expected.version, `v${expected.version}`, ...(manifest.OriginalVersion !== undefined ? [manifest.OriginalVersion] : [])];
  if (!spellings.some((v) => topFolder === topFolderName(expected.name, v))) {
    throw new UniError('bad_archive', `archive's top folder is "${topFolder}/" but must be "${wanted}/"`);
  }
  if (manifest.Name !== undefined && manifest.Name !== expected.name) {
    throw new UniError(
      'name_mismatch',
      `package.manifest: field /Name is "${manifest.Name}" but the archive is published as "${expected.name}"`,
    );
  }
  let version: string;
  try {
    version = normalizeVersion(manifest.Version);
  } catch (e) {
    throw new UniError('invalid_manifest', `package.manifest: field /Version: ${(e as Error).message}`);
  }
  if (version !== expected.version) {
    throw new UniError(
      'version_mismatch',
      `package.manifest: field /Version is "${manifest.Version}" but the archive is published as version ${expected.version}`,
    );
  }
  if (manifest.Arch !== undefined && parseArch(manifest.Arch) !== expected.arch) {
    throw new UniError(
      'arch_mismatch',
      `package.manifest: field /Arch is "${manifest.Arch}" but the archive is published for ${expected.arch}`,
    );
  }
  checkProgramArch(contents, expected.arch);
}

function checkProgramArch(contents: ArchiveContents, arch: Arch): void {
  const path = programPath(contents);
  if (path === null) return;
  const resolved = contents.tree.resolve(path);
  if (resolved === null || contents.tree.typeOf(resolved) !== 'file') return;
  const program = contents.manifest.Program!;
  const where = `${contents.topFolder}/${resolved}`;
  const ident = contents.elf.get(resolved);
  if (!ident) {
    throw new UniError('bad_program', `package.manifest: field /Program "${program}" (${where}) is not an ELF executable`);
  }
  if (ident.arch !== arch) {
    throw new UniError(
      'wrong_arch',
      `package.manifest: field /Program "${program}" (${where}) is an ELF for ${describeElf(ident)} but the archive is published for ${arch}`,
    );
  }
}
