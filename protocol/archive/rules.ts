/**
 * The checks one archive entry must pass, shared by the registry (publish) and the client
 * (extraction), so that both refuse the same archives with the same words. Each check throws
 * a UniError whose message names the entry. No I/O here: the caller feeds tar headers.
 */
import { UniError } from '../errors.js';
import type { ArchiveLimits, FileType } from './types.js';

export const SYSROOT = 'sysroot';

/** The subset of a tar header the rules look at. */
export interface TarHeader {
  name: string;
  type?: string | null;
  mode?: number;
  size?: number;
  linkname?: string | null;
}

export function badEntry(entry: string, why: string): UniError {
  return new UniError('bad_archive', `archive entry "${entry}" ${why}`);
}

/**
 * Splits an entry name into its segments. A leading `./` and a trailing `/` are accepted (tar
 * writes both); absolute names, `..`, NUL bytes and empty names are refused.
 */
export function entrySegments(name: string, limits: Pick<ArchiveLimits, 'maxPathBytes' | 'maxPathSegments' | 'maxSegmentBytes'>): string[] {
  if (Buffer.byteLength(name) > limits.maxPathBytes) {
    throw badEntry(name.slice(0, 80) + '...', `has a path longer than ${limits.maxPathBytes} bytes`);
  }
  if (name.includes('\0')) throw badEntry(name, 'has a NUL byte in its name');
  if (name.startsWith('/')) throw badEntry(name, 'has an absolute path; entries must be relative to the top folder');
  const segments: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw badEntry(name, 'contains ".."; entries may not leave the top folder');
    if (Buffer.byteLength(seg) > limits.maxSegmentBytes) {
      throw badEntry(name.length > 80 ? `${name.slice(0, 80)}...` : name, `has a file or folder name longer than ${limits.maxSegmentBytes} bytes ("${seg.slice(0, 40)}...")`);
    }
    segments.push(seg);
  }
  if (segments.length === 0) throw badEntry(name, 'has an empty path');
  if (segments.length > limits.maxPathSegments) {
    throw badEntry(name.slice(0, 80) + '...', `is more than ${limits.maxPathSegments} folders deep`);
  }
  return segments;
}

/** Only folders, regular files and symbolic links can be stored in an image. */
export function entryType(header: TarHeader): FileType {
  // tar-stream gives null for a type flag it does not know (GNU sparse 'S', 'D', 'V', vendor
  // 'A'-'Z'): such an entry's bytes are not its content, so it must not pass as a regular file.
  if (header.type === null || header.type === undefined) {
    throw badEntry(header.name, 'has an unknown tar entry type; only folders, regular files and symbolic links are allowed');
  }
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      throw badEntry(header.name, `is a hard link (to "${header.linkname ?? ''}"); only folders, regular files and symbolic links are allowed`);
    default:
      throw badEntry(header.name, `is a ${header.type}; only folders, regular files and symbolic links are allowed`);
  }
}

/**
 * Where a symbolic link points, as a path relative to the top folder. `linkDir` is the folder
 * holding the link, relative to the top folder.
 *
 * A relative target is resolved against the link's folder and must land inside `sysroot/`.
 * An absolute target is an image path: it names a file of the guest's root, which is
 * `sysroot/` in the archive, so it stays inside by construction; it may still not climb
 * above `/` with `..`. Such a link must never be followed on the host, only inside the tree.
 */
export function resolveLinkTarget(
  entry: string,
  linkDir: string[],
  target: string,
  limits: Pick<ArchiveLimits, 'maxPathLength'>,
): string {
  if (target === '') throw badEntry(entry, 'is a symbolic link with an empty target');
  if (target.length > limits.maxPathLength) {
    throw badEntry(entry, `is a symbolic link whose target is longer than ${limits.maxPathLength} characters`);
  }
  if (target.includes('\0')) throw badEntry(entry, 'is a symbolic link whose target has a NUL byte');
  const absolute = target.startsWith('/');
  const out = absolute ? [SYSROOT] : [...linkDir];
  const floor = absolute ? 1 : 0;
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length <= floor) {
        throw badEntry(entry, `is a symbolic link to "${target}", which escapes ${absolute ? 'the image root' : 'the top folder'}`);
      }
      out.pop();
    } else {
      out.push(seg);
    }
  }
  if (out[0] !== SYSROOT) {
    throw badEntry(entry, `is a symbolic link to "${target}", which points outside ${SYSROOT}/`);
  }
  return out.join('/');
}

/** Stops a read as soon as a running total passes its limit, naming the entry that did it. */
export function checkEntryCount(count: number, limits: ArchiveLimits, entry: string): void {
  if (count > limits.maxEntries) {
    throw new UniError('archive_too_large', `archive has more than ${limits.maxEntries} entries (at "${entry}")`, 413);
  }
}

export function checkUnpackedSize(total: number, limits: ArchiveLimits, entry: string): void {
  if (total > limits.maxUnpackedBytes) {
    throw new UniError(
      'archive_too_large',
      `archive unpacks to more than ${limits.maxUnpackedBytes} bytes (at "${entry}")`,
      413,
    );
  }
}

export function checkTreeBytes(total: number, limits: ArchiveLimits, entry: string): void {
  if (total > limits.maxTreeBytes) {
    throw new UniError(
      'archive_too_large',
      `archive's paths take more than ${limits.maxTreeBytes} bytes to index (at "${entry.slice(0, 200)}"): too many deep paths`,
      413,
    );
  }
}

export function checkRatio(unpacked: number, packed: number, limits: ArchiveLimits): void {
  if (unpacked > limits.maxRatio * Math.max(packed, limits.ratioFloorBytes)) {
    throw new UniError(
      'archive_too_large',
      `archive expands more than ${limits.maxRatio} times its compressed size (a gzip bomb?)`,
      413,
    );
  }
}
