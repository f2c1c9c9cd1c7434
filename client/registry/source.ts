import { UniError } from '../../protocol/errors.js';
import { ARCHES, canonicalName, type Arch } from '../../protocol/names.js';
import type { PackageSource, PackageVersionInfo } from '../types.js';
import { readCachedDoc, writeCachedDoc } from '../cache/docs.js';
import { docPath, type CacheLayout } from '../cache/layout.js';
import type { PackageDocument, RegistryClient } from './client.js';
import { isNetworkError } from './http.js';

export interface RegistrySourceOptions {
  client: RegistryClient;
  layout: CacheLayout;
  /** Never touch the network: answer from the cache or fail. */
  offline: boolean;
  /** Where a note goes when the cache answers for an unreachable registry (stderr in the CLI). */
  warn: (message: string) => void;
}

/**
 * A PackageSource over the registry's package documents. Each document is fetched once per
 * run, concurrently, and kept in the cache with its ETag so that the next run revalidates
 * it for the price of a 304. When the registry cannot be reached the cached copy answers.
 */
export class RegistrySource implements PackageSource {
  private readonly docs = new Map<string, Promise<PackageDocument>>();
  private registryDown = false;
  private warned = false;
  private notedStale = false;

  constructor(private readonly opts: RegistrySourceOptions) {}

  document(name: string): Promise<PackageDocument> {
    const full = canonicalName(name);
    let p = this.docs.get(full);
    if (!p) {
      p = this.load(full);
      this.docs.set(full, p);
    }
    return p;
  }

  async versions(name: string): Promise<PackageVersionInfo[]> {
    return versionsOf(await this.document(name));
  }

  private async load(full: string): Promise<PackageDocument> {
    const { client, layout, offline } = this.opts;
    const path = docPath(layout, client.host, full);
    const cached = readCachedDoc(path);
    if (offline || this.registryDown) {
      if (cached) return cached.doc;
      throw new UniError(
        'offline_miss',
        offline
          ? `${full} is not in the cache, and --offline forbids asking the registry`
          : `${full} is not in the cache, and the registry at ${client.baseUrl} cannot be reached`,
      );
    }
    // With a cached copy to fall back on, one quick retry is enough before answering from it.
    const http = client.httpOptions;
    const asker = cached ? client.withHttp({ ...http, retry: { ...http.retry, retries: Math.min(1, http.retry.retries) } }) : client;
    try {
      const answer = await asker.getPackage(full, cached?.etag);
      if (answer.stale && !this.notedStale) {
        this.notedStale = true;
        this.opts.warn(`note: ${staleNote(client.baseUrl, full, answer.stale.ageSeconds)}`);
      }
      if (answer.notModified && cached) return cached.doc;
      if (answer.notModified) throw new UniError('registry_error', `the registry answered 304 for ${full}, which was not cached`);
      writeCachedDoc(path, { ...(answer.etag ? { etag: answer.etag } : {}), fetchedAt: new Date().toISOString(), doc: answer.doc });
      return answer.doc;
    } catch (e) {
      // A registry that cannot be reached, or that fails on its side, is down for this run.
      const down = isNetworkError(e) || (e instanceof UniError && e.status >= 500);
      if (!down || !cached) throw e;
      this.registryDown = true;
      if (!this.warned) {
        this.warned = true;
        this.opts.warn(`${(e as Error).message}; answering from the cache`);
      }
      return cached.doc;
    }
  }
}

/** One note per run: every other stale answer has the same cause. */
function staleNote(mirror: string, name: string, ageSeconds: number | null): string {
  const age = ageSeconds === null ? 'of unknown age' : `${describeAge(ageSeconds)} old`;
  return `the mirror at ${mirror} answered from its cached copy of ${name} (${age}), as its upstream could not be asked; newer versions may exist`;
}

function describeAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export function versionsOf(doc: PackageDocument): PackageVersionInfo[] {
  return Object.entries(doc.versions).map(([version, v]) => {
    const arches = ARCHES.filter((a: Arch) => v.artifacts[a] !== undefined);
    return { version, dependencies: v.dependencies ?? {}, yanked: v.yanked, ...(v.yankReason ? { yankReason: v.yankReason } : {}), arches, artifacts: v.artifacts };
  });
}
