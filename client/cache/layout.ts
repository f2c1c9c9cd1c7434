import { join } from 'node:path';
import { UniError } from '../../protocol/errors.js';

/**
 * Where everything lives under UNI_HOME (docs/client.md describes it for people):
 * archives by digest, extracted trees by digest, package documents per registry host, one lock
 * per digest, and a scratch folder.
 */
export interface CacheLayout {
  root: string;
  archives: string;
  trees: string;
  docs: string;
  locks: string;
  tmp: string;
}

export function cacheLayout(home: string): CacheLayout {
  return {
    root: home,
    archives: join(home, 'archives', 'sha256'),
    trees: join(home, 'trees', 'sha256'),
    docs: join(home, 'docs'),
    locks: join(home, 'locks'),
    tmp: join(home, 'tmp'),
  };
}

const DIGEST_RE = /^sha256:([0-9a-f]{64})$/;

/** The hex part of `sha256:<hex>`; anything else would let a registry name paths outside the cache. */
export function digestHex(digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw new UniError('bad_digest', `invalid digest "${digest}": expected sha256:<64 hex digits>`);
  return m[1]!;
}

export function archivePath(layout: CacheLayout, digest: string): string {
  return join(layout.archives, `${digestHex(digest)}.tar.gz`);
}

export function treePath(layout: CacheLayout, digest: string): string {
  return join(layout.trees, digestHex(digest));
}

export function lockPath(layout: CacheLayout, digest: string): string {
  return join(layout.locks, `${digestHex(digest)}.lock`);
}

/** `registry.example:8080` becomes one folder name on every file system. */
export function docPath(layout: CacheLayout, registryHost: string, fullName: string): string {
  const [ns, name] = fullName.split('/');
  return join(layout.docs, registryHost.replace(/[^a-zA-Z0-9.-]/g, '_'), ns!, `${name!}.json`);
}
