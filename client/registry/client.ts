import { createReadStream } from 'node:fs';
import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import type { PackageManifest } from '../../protocol/validate.js';
import type { FileIndexEntry } from '../../protocol/archive/types.js';
import {
  DEFAULT_HTTP,
  readBody,
  requestWithRetry,
  type HttpOptions,
  type HttpRequest,
  type HttpResponse,
} from './http.js';

/** `GET /v1/packages/:ns/:name`. */
export interface PackageDocument {
  name: string;
  namespace: string;
  private: boolean;
  description?: string;
  versions: Record<string, VersionEntry>;
}

export interface VersionEntry {
  dependencies: Record<string, string>;
  yanked: boolean;
  yankReason?: string;
  publishedAt: string;
  artifacts: Partial<Record<Arch, { digest: string; size: number }>>;
}

/** `GET /v1/packages/:ns/:name/:version/:arch`. */
export interface ArtifactDocument {
  name: string;
  version: string;
  arch: Arch;
  digest: string;
  size: number;
  manifest: PackageManifest;
  files: FileIndexEntry[];
}

export interface SearchPage {
  results: Array<Record<string, unknown> & { name: string }>;
  next?: string;
}

/** A mirror answered from its cached copy because its upstream did not (X-Uni-Stale: 1); Age, when it said. */
export interface StaleCopy {
  ageSeconds: number | null;
}

export type DocumentAnswer = { notModified: true; stale?: StaleCopy } | { notModified: false; doc: PackageDocument; etag?: string; stale?: StaleCopy };

function staleOf(res: HttpResponse): { stale?: StaleCopy } {
  if (res.headers['x-uni-stale'] !== '1') return {};
  const age = Number(res.headers['age']);
  return { stale: { ageSeconds: Number.isFinite(age) && age >= 0 ? age : null } };
}

export interface RegistryClientOptions {
  baseUrl: string;
  token?: string;
  http?: HttpOptions;
}

function splitName(full: string): string {
  const [ns, name] = full.split('/');
  return `${encodeURIComponent(ns!)}/${encodeURIComponent(name!)}`;
}

/** The registry's HTTP API, one method per route. Errors come back as UniError with the server's code and message. */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly http: HttpOptions;

  constructor(opts: RegistryClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.http = opts.http ?? DEFAULT_HTTP;
  }

  /** The same registry with another network policy: fewer retries when a cached answer can stand in. */
  withHttp(http: HttpOptions): RegistryClient {
    return new RegistryClient({ baseUrl: this.baseUrl, ...(this.token ? { token: this.token } : {}), http });
  }

  get httpOptions(): HttpOptions {
    return this.http;
  }

  get host(): string {
    return new URL(this.baseUrl).host;
  }

  async send(method: string, path: string, extra: Omit<HttpRequest, 'method' | 'url'> = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...(extra.headers ?? {}) };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    return requestWithRetry({ ...extra, method, url: `${this.baseUrl}${path}`, headers }, this.http);
  }

  private async json<T>(what: string, method: string, path: string, body?: unknown, ok: number[] = [200, 201]): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.send(method, path, {
      ...(payload ? { body: () => payload, headers: { 'content-type': 'application/json' } } : {}),
    });
    if (!ok.includes(res.status)) throw await errorFrom(res, what);
    const text = (await readBody(res)).toString('utf8');
    return (text ? JSON.parse(text) : {}) as T;
  }

  async getPackage(name: string, etag?: string): Promise<DocumentAnswer> {
    const res = await this.send('GET', `/v1/packages/${splitName(name)}`, etag ? { headers: { 'if-none-match': etag } } : {});
    if (res.status === 304) {
      res.body.resume();
      return { notModified: true, ...staleOf(res) };
    }
    if (res.status !== 200) throw await errorFrom(res, `package ${name}`);
    const doc = JSON.parse((await readBody(res)).toString('utf8')) as PackageDocument;
    const newTag = res.headers['etag'];
    return { notModified: false, doc, ...(typeof newTag === 'string' ? { etag: newTag } : {}), ...staleOf(res) };
  }

  getArtifact(name: string, version: string, arch: Arch): Promise<ArtifactDocument> {
    return this.json(`artifact ${name}@${version} (${arch})`, 'GET', `/v1/packages/${splitName(name)}/${encodeURIComponent(version)}/${arch}`);
  }

  /**
   * The archive's bytes from `offset` on; the caller checks the status (200, or 206 for a range).
   * A registry that keeps archives in S3 answers with a redirect to a presigned URL: one is
   * followed, and the token goes along only to the registry's own origin (the URL carries its
   * own signature, and S3 refuses a request that has both). The caller verifies the digest.
   */
  async blob(digest: string, offset = 0): Promise<HttpResponse> {
    const hex = digest.replace(/^sha256:/, '');
    const range: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    let res = await this.send('GET', `/v1/blobs/sha256/${hex}`, { headers: range });
    const location = res.headers['location'];
    if ((res.status === 302 || res.status === 307) && typeof location === 'string') {
      res.body.resume();
      const url = new URL(location, `${this.baseUrl}/`);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new UniError('registry_error', `archive ${digest}: the registry redirected to "${url.protocol}", not http or https`);
      }
      const headers = { ...range };
      if (this.token && url.origin === new URL(this.baseUrl).origin) headers['authorization'] = `Bearer ${this.token}`;
      res = await requestWithRetry({ method: 'GET', url: url.toString(), headers }, this.http);
    }
    if (res.status !== 200 && res.status !== 206) throw await errorFrom(res, `archive ${digest}`);
    return res;
  }

  async publish(
    name: string,
    version: string,
    arch: Arch,
    archivePath: string,
    size: number,
    isPrivate: boolean,
    onBytes: (n: number) => void = () => undefined,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const query = isPrivate ? '?private=true' : '';
    const res = await this.send('PUT', `/v1/packages/${splitName(name)}/${encodeURIComponent(version)}/${arch}${query}`, {
      body: () => createReadStream(archivePath).on('data', (chunk) => onBytes(chunk.length)),
      headers: { 'content-type': 'application/gzip', 'content-length': String(size) },
    });
    if (res.status !== 200 && res.status !== 201) throw await errorFrom(res, `publish ${name}@${version} (${arch})`);
    const text = (await readBody(res)).toString('utf8');
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  yank(name: string, version: string, reason?: string): Promise<unknown> {
    return this.json(`yank ${name}@${version}`, 'POST', `/v1/packages/${splitName(name)}/${encodeURIComponent(version)}/yank`, reason ? { reason } : {});
  }

  unyank(name: string, version: string): Promise<unknown> {
    return this.json(`unyank ${name}@${version}`, 'DELETE', `/v1/packages/${splitName(name)}/${encodeURIComponent(version)}/yank`, undefined, [200, 204]);
  }

  search(q: string, arch?: Arch, limit = 50, cursor?: string): Promise<SearchPage> {
    const params = new URLSearchParams({ q, limit: String(limit) });
    if (arch) params.set('arch', arch);
    if (cursor) params.set('cursor', cursor);
    return this.json('search', 'GET', `/v1/packages?${params.toString()}`);
  }

  whoami(): Promise<Record<string, unknown>> {
    return this.json('whoami', 'GET', '/v1/whoami');
  }

  createToken(req: { scopes: string[]; namespace?: string; expiresInDays?: number; name?: string }): Promise<Record<string, unknown> & { id: string; token: string }> {
    return this.json('token create', 'POST', '/v1/tokens', req);
  }

  /** The tokens of the current token's owner, revoked and expired ones included. */
  listTokens(): Promise<{ tokens: Array<Record<string, unknown> & { id: string }> }> {
    return this.json('token list', 'GET', '/v1/tokens');
  }

  revokeToken(id: string): Promise<unknown> {
    return this.json(`token revoke ${id}`, 'DELETE', `/v1/tokens/${encodeURIComponent(id)}`, undefined, [200, 204]);
  }
}

/** The server's `{error:{code,message}}` as a UniError, or a plain description of an unexpected answer. */
export async function errorFrom(res: HttpResponse, what: string): Promise<UniError> {
  let code = res.status === 404 ? 'not_found' : res.status === 401 || res.status === 403 ? 'unauthorized' : 'registry_error';
  let message = `${what}: the registry answered ${res.status}`;
  try {
    const body = JSON.parse((await readBody(res, 1024 * 1024)).toString('utf8')) as { error?: { code?: string; message?: string } };
    // The registry's messages name what they are about; prefixing `what` would say it twice.
    const subject = what.split(/[ @]/).find((w) => w.includes('/') || w.startsWith('sha256:')) ?? what;
    if (body.error?.message) message = body.error.message.includes(subject) ? body.error.message : `${what}: ${body.error.message}`;
    if (body.error?.code) code = body.error.code;
  } catch {
    // A proxy's HTML page or an empty body: the status alone tells the story.
  }
  return new UniError(code, message, res.status);
}
