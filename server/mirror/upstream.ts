/**
 * The registry a mirror reads from, over web-standard fetch (so it runs on Workers too).
 * Every failure to get an answer (refused, timed out, 5xx) is an UpstreamFailure, which the
 * callers turn into stale answers and a back-off; 401/403 is one too, of kind 'denied', so
 * that a revoked mirror token stops private packages from being served.
 */
import { UniError, isUniError } from '../../protocol/errors.js';
import { validateWith } from '../../protocol/validate.js';
import artifactSchema from '../../protocol/artifact-document.schema.json' with { type: 'json' };
import packageSchema from '../../protocol/package-document.schema.json' with { type: 'json' };
import type { ArtifactDocument, PackageDocument } from '../documents.js';
import type { FetchFn } from './config.js';

export type FailureKind = 'down' | 'denied';

export class UpstreamFailure extends UniError {
  readonly kind: FailureKind;
  /** When the back-off this failure started (or met) ends: the mirror asks the upstream again no sooner. */
  retryAt: string | undefined;
  constructor(kind: FailureKind, message: string, retryAt?: string) {
    super(kind === 'denied' ? 'upstream_denied' : 'upstream_unavailable', message, 502);
    this.kind = kind;
    this.retryAt = retryAt;
  }
}

export function isUpstreamFailure(e: unknown): e is UpstreamFailure {
  return e instanceof UpstreamFailure;
}

export type PackageAnswer =
  | { kind: 'document'; doc: PackageDocument; etag: string | null }
  | { kind: 'not_modified' }
  | { kind: 'not_found' };

export interface Change {
  seq: number;
  type: 'publish' | 'yank' | 'unyank';
  name: string;
  version: string;
  arch?: string;
  digest?: string;
}

export interface Upstream {
  url: string;
  packageDocument(name: string, etag?: string | null): Promise<PackageAnswer>;
  /** null when the upstream has no such artifact (or hides it from this mirror). */
  artifactDocument(name: string, version: string, arch: string): Promise<ArtifactDocument | null>;
  /** The blob's bytes; null when the upstream answers 404. */
  blob(digest: string): Promise<ReadableStream<Uint8Array> | null>;
  changes(since: number, limit: number): Promise<{ changes: Change[]; next: number }>;
}

export interface UpstreamOptions {
  url: string;
  token?: string;
  fetch: FetchFn;
  timeoutMs: number;
}

function invalid(url: string, what: string, e: unknown): UpstreamFailure {
  return new UpstreamFailure('down', `upstream ${url} sent an invalid ${what}: ${isUniError(e) ? e.message : String(e)}`);
}

export function upstreamClient(opts: UpstreamOptions): Upstream {
  const { url } = opts;

  /**
   * The timeout covers the wait for the answer's headers; `whole` extends it over the body
   * too (documents), while a blob's body may take as long as its size needs.
   */
  const send = async (path: string, headers: Record<string, string>, whole: boolean): Promise<{ res: Response; done: () => void }> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    const done = (): void => clearTimeout(timer);
    let res: Response;
    try {
      res = await opts.fetch(url + path, {
        headers: { ...headers, ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}) },
        signal: controller.signal,
      });
    } catch (e) {
      done();
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamFailure('down', `cannot reach upstream ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    if (!whole) done();
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      done();
      await res.body?.cancel();
      throw new UpstreamFailure('down', `upstream ${url} answered ${res.status} to GET ${path}`);
    }
    if (res.status === 401 || res.status === 403) {
      done();
      await res.body?.cancel();
      throw new UpstreamFailure('denied', `upstream ${url} refused the mirror's credentials (${res.status}) for GET ${path}`);
    }
    return { res, done };
  };

  const json = async (path: string, headers: Record<string, string> = {}): Promise<{ res: Response; body: unknown }> => {
    const { res, done } = await send(path, headers, true);
    try {
      if (res.status !== 200) {
        await res.body?.cancel();
        return { res, body: undefined };
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        throw new UpstreamFailure('down', `upstream ${url} broke off GET ${path}: ${(e as Error).message}`);
      }
      try {
        return { res, body: JSON.parse(text) as unknown };
      } catch (e) {
        throw invalid(url, `answer to GET ${path}`, e);
      }
    } finally {
      done();
    }
  };

  const unexpected = (res: Response, path: string): UpstreamFailure =>
    new UpstreamFailure('down', `upstream ${url} answered ${res.status} to GET ${path}`);

  const packagePath = (name: string): string => `/v1/packages/${name.split('/').map(encodeURIComponent).join('/')}`;

  return {
    url,

    async packageDocument(name, etag) {
      const path = packagePath(name);
      const { res, body } = await json(path, etag ? { 'if-none-match': etag } : {});
      if (res.status === 304) return { kind: 'not_modified' };
      if (res.status === 404) return { kind: 'not_found' };
      if (res.status !== 200) throw unexpected(res, path);
      let doc: PackageDocument;
      try {
        doc = validateWith<PackageDocument>(packageSchema, body, 'package document');
      } catch (e) {
        throw invalid(url, `package document for ${name}`, e);
      }
      if (doc.name !== name) throw invalid(url, `package document for ${name}`, `it names ${doc.name}`);
      return { kind: 'document', doc, etag: res.headers.get('etag') };
    },

    async artifactDocument(name, version, arch) {
      const path = `${packagePath(name)}/${encodeURIComponent(version)}/${arch}`;
      const { res, body } = await json(path);
      if (res.status === 404) return null;
      if (res.status !== 200) throw unexpected(res, path);
      let doc: ArtifactDocument;
      try {
        doc = validateWith<ArtifactDocument>(artifactSchema, body, 'artifact document');
      } catch (e) {
        throw invalid(url, `artifact document for ${name}@${version} (${arch})`, e);
      }
      if (doc.name !== name || doc.version !== version || doc.arch !== arch) {
        throw invalid(url, `artifact document for ${name}@${version} (${arch})`, `it names ${doc.name}@${doc.version} (${doc.arch})`);
      }
      return doc;
    },

    async blob(digest) {
      const path = `/v1/blobs/sha256/${digest.slice('sha256:'.length)}`;
      const { res } = await send(path, {}, false);
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (res.status !== 200 || res.body === null) {
        await res.body?.cancel();
        throw unexpected(res, path);
      }
      return res.body;
    },

    async changes(since, limit) {
      const path = `/v1/changes?since=${since}&limit=${limit}`;
      const { res, body } = await json(path);
      if (res.status !== 200) throw unexpected(res, path);
      const page = body as { changes?: unknown; next?: unknown };
      if (!Array.isArray(page?.changes) || typeof page.next !== 'number') throw invalid(url, 'change feed page', 'it lacks changes or next');
      return { changes: page.changes as Change[], next: page.next };
    },
  };
}
