import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Arch } from '../../protocol/names.js';
import { writeFileAtomic } from '../cache/atomic.js';
import type { ProjectConfig } from './config.js';
import type { Placement } from './placements.js';
import { splitImagePath } from './tree.js';

/** ops's default when neither config.json nor a package names a server (cmd/flags_nightly.go). */
export const DEFAULT_NAMESERVERS: readonly string[] = ['8.8.8.8'];

/** A file ops writes into every image (lepton/image.go: addDNSConfig, addHostName, addPasswd). */
export interface DefaultFile {
  path: string;
  content: string;
  /** ops adds /etc/passwd only when no package brings one; the others replace a package's. */
  onlyIfAbsent: boolean;
}

export function opsDefaultFiles(nameServers: readonly string[] | undefined): DefaultFile[] {
  const servers = nameServers !== undefined && nameServers.length > 0 ? nameServers : DEFAULT_NAMESERVERS;
  return [
    { path: '/etc/resolv.conf', content: servers.map((ns) => `nameserver ${ns}\n`).join(''), onlyIfAbsent: false },
    { path: '/proc/sys/kernel/hostname', content: 'uniboot', onlyIfAbsent: false },
    // Without it getpwuid(0) fails: node's os.userInfo(), python's getpass.getuser().
    { path: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/nobash\n', onlyIfAbsent: true },
  ];
}

/** What the image is called and which kernel it is for, when the builder knows them. */
export interface ImageFacts {
  imageName?: string;
  nanosVersion?: string;
}

/** GOARCH, as ops spells NANOS_ARCH. */
const GOARCH: Record<Arch, string> = { x86_64: 'amd64', aarch64: 'arm64' };

/**
 * The environment ops gives every program before the packages' and the config's Env, which
 * win over it. OPS_VERSION is left out: uni is not ops and would have to invent one.
 */
export function opsDefaultEnv(arch: Arch, facts: ImageFacts): Record<string, string> {
  return {
    USER: 'root',
    PWD: '/',
    NANOS_ARCH: GOARCH[arch],
    ...(facts.nanosVersion !== undefined ? { NANOS_VERSION: facts.nanosVersion } : {}),
    ...(facts.imageName !== undefined ? { IMAGE_NAME: facts.imageName } : {}),
  };
}

/** NameServers of the config, else of the packages (ops takes the package's when the config has none). */
export function nameServersOf(config: ProjectConfig, packageServers: readonly (readonly string[] | undefined)[]): readonly string[] | undefined {
  if (config.NameServers !== undefined && config.NameServers.length > 0) return config.NameServers;
  return packageServers.find((s) => s !== undefined && s.length > 0);
}

/**
 * mkfs reads every file from the host, so a generated file needs a host path that outlives the
 * command: it is kept under its sha256 in `dir`, written once and never changed.
 */
export function storeDefaultFiles(files: readonly DefaultFile[], dir: string): { placement: Placement; onlyIfAbsent: boolean }[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return files.map((f) => {
    const bytes = Buffer.from(f.content);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const host = join(dir, sha256);
    if (!existsSync(host)) writeFileAtomic(host, bytes, 0o444);
    return {
      placement: {
        parts: splitImagePath(f.path, 'default file'),
        entry: { kind: 'file', host, mode: 0o644, size: bytes.length, sha256 },
        origin: { label: `ops's default ${f.path}`, generated: true },
      },
      onlyIfAbsent: f.onlyIfAbsent,
    };
  });
}
