/** What the registry records of one archive entry, and what `uni pkg contents` shows. */
export type FileType = 'file' | 'dir' | 'symlink';

export interface FileIndexEntry {
  /** Relative to the archive's top folder, `/`-separated: `sysroot/usr/bin/redis-server`. */
  path: string;
  type: FileType;
  /** Permission bits only (`mode & 0o777`): setuid and friends mean nothing in a unikernel. */
  mode: number;
  /** Regular files only. */
  size?: number;
  /** Regular files only: lower-case hex sha256 of the content. */
  sha256?: string;
  /** Symbolic links only, as written in the archive. */
  linkTarget?: string;
}

/** An entry the rules accepted, handed to a visitor before any byte of its content. */
export interface ArchiveEntry {
  /** Relative to the top folder, as in FileIndexEntry. */
  path: string;
  type: FileType;
  mode: number;
  /** Content bytes that follow (0 for folders and links). */
  size: number;
  linkTarget?: string;
}

export interface ArchiveLimits {
  /** Entries of any type, the top folder included. */
  maxEntries: number;
  /** Sum of the regular files' sizes. */
  maxUnpackedBytes: number;
  /** Decompressed bytes per compressed byte; what a gzip bomb exceeds. */
  maxRatio: number;
  /**
   * The ratio is judged against at least this many compressed bytes, so that a tiny archive
   * of a few highly compressible files (sparse data, zero-filled tables) is not refused.
   */
  ratioFloorBytes: number;
  maxManifestBytes: number;
  /** Length of a symbolic link's target, in characters. */
  maxPathLength: number;
  /** Folders deep an entry's path may be; the reader keeps every folder a path implies. */
  maxPathSegments: number;
  /** UTF-8 bytes of an entry's path. */
  maxPathBytes: number;
  /**
   * UTF-8 bytes of one segment of an entry's path: NAME_MAX of Linux file systems, past which
   * no client could write the entry (ENAMETOOLONG).
   */
  maxSegmentBytes: number;
  /**
   * What the reader may spend remembering paths (every entry and every folder a path implies),
   * each charged its length plus 64 for the map entry: many deep paths, each under the limits
   * above, would otherwise make a small archive cost gigabytes.
   */
  maxTreeBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 100_000,
  maxUnpackedBytes: 8 * 1024 ** 3,
  maxRatio: 200,
  ratioFloorBytes: 64 * 1024,
  maxManifestBytes: 1024 * 1024,
  maxPathLength: 4096,
  maxPathSegments: 256,
  maxPathBytes: 4096,
  maxSegmentBytes: 255,
  maxTreeBytes: 64 * 1024 * 1024,
};

/**
 * Receives the archive as it is read, so that a client can write files with synchronous fs
 * calls in the same pass. Calls arrive in order: `entry`, then `onData` for each chunk of a
 * regular file, then `onEnd`. A visitor that throws stops the read with its error.
 */
export interface ArchiveVisitor {
  entry(entry: ArchiveEntry): void;
  onData(chunk: Uint8Array): void;
  /** After the entry's last byte; for a regular file `file.sha256` is set. */
  onEnd(file: FileIndexEntry): void;
}
