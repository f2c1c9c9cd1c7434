/**
 * What makes a registry a mirror: its upstream, which namespaces are read from there, and
 * how long a cached document counts as fresh. A namespace is mirrored or local, never both.
 */
import { UniError } from '../../protocol/errors.js';
import { DEFAULT_NAMESPACE, checkNamePart } from '../../protocol/names.js';

export type FetchFn = typeof fetch;

export interface MirrorConfig {
  /** Base URL of the upstream registry, without a trailing slash. */
  upstream: string;
  token?: string;
  /** Read from the upstream; every other namespace is local. */
  namespaces: string[];
  /** A cached package document older than this is revalidated upstream before it is served. */
  maxAgeMs: number;
  /** After an upstream failure, how long no request goes there. */
  backoffMs: number;
  /** How long a document request, or a blob's first byte, may take upstream. */
  timeoutMs: number;
  /** Serve only what is cached; never contact the upstream. */
  offline: boolean;
}

/** The mirror as the app receives it: its config and the fetch it talks to the upstream with. */
export interface Mirror {
  config: MirrorConfig;
  fetch: FetchFn;
}

export const DEFAULT_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_BACKOFF_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

export function isMirrored(config: MirrorConfig, namespace: string): boolean {
  return config.namespaces.includes(namespace);
}

/** A registry base URL: http(s), no query or fragment; the trailing slash dropped. */
export function parseRegistryUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UniError('bad_config', `${what} must be a URL such as https://registry.example.com, not "${value}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new UniError('bad_config', `${what} must be an http(s) URL without query or fragment, not "${value}"`);
  }
  return url.href.replace(/\/+$/, '');
}

export interface MirrorConfigInput {
  upstream: string;
  token?: string;
  namespaces?: string[];
  maxAgeMs?: number;
  backoffMs?: number;
  timeoutMs?: number;
  offline?: boolean;
}

/** Without namespaces, only `library` (the public one) is mirrored: local stays the default. */
export function mirrorConfig(input: MirrorConfigInput): MirrorConfig {
  const namespaces = input.namespaces && input.namespaces.length > 0 ? input.namespaces : [DEFAULT_NAMESPACE];
  for (const ns of namespaces) checkNamePart(ns, 'namespace');
  return {
    upstream: parseRegistryUrl(input.upstream, '--upstream'),
    ...(input.token !== undefined && input.token !== '' ? { token: input.token } : {}),
    namespaces: [...new Set(namespaces)].sort(),
    maxAgeMs: input.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    backoffMs: input.backoffMs ?? DEFAULT_BACKOFF_MS,
    timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    offline: input.offline ?? false,
  };
}
