import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from '../protocol/archive/types.js';

export interface ServerConfig {
  /** Largest publish body accepted, in bytes: 413 past it. */
  maxBodyBytes: number;
  archiveLimits: ArchiveLimits;
  /** Receives one line per request; the Node entry writes them to stdout. */
  log: (line: string) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 ** 3;

export function serverConfig(overrides: Partial<Omit<ServerConfig, 'archiveLimits'>> & { archiveLimits?: Partial<ArchiveLimits> } = {}): ServerConfig {
  return {
    maxBodyBytes: overrides.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    archiveLimits: { ...DEFAULT_ARCHIVE_LIMITS, ...overrides.archiveLimits },
    log: overrides.log ?? ((line) => console.log(line)),
  };
}
