/**
 * `uni mirror sync --registry URL`: copies into another registry through its HTTP API, as a
 * publisher would. Each archive is downloaded to a temporary file while hashed and published
 * only once its digest matches the origin's, so the target never receives bytes the origin's
 * document does not vouch for; the bytes are the origin's, so the digests are too. The feed
 * position lives in a state file (the target's database is not ours to write), replaced
 * atomically after the data it covers is published.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { UniError } from '../../protocol/errors.js';
import type { ArtifactDocument, PackageDocument } from '../documents.js';
import type { FetchFn } from '../mirror/config.js';
import { inParallel } from '../mirror/parallel.js';
import { digestMismatch, originBlob } from '../mirror/copy-blob.js';
import type { SyncOptions, SyncSink } from '../mirror/sync.js';

export interface RegistrySinkOptions {
  url: string;
  token: string;
  stateFile: string;
  tmpDir: string;
  fetch: FetchFn;
}

function readState(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UniError('bad_state', `cannot read the sync state file ${file}: ${(e as Error).message}; remove it to start over`);
  }
}

export function registrySink(o: RegistrySinkOptions): SyncSink {
  const auth = { authorization: `Bearer ${o.token}` };
  const stateKey = (key: string): string => `${o.url} <- ${key}`;

  const answer = async (res: Response, what: string): Promise<unknown> => {
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.ok) return body;
    const message = (body as { error?: { message?: string } } | undefined)?.error?.message ?? text.slice(0, 200);
    throw new UniError('target_refused', `target registry ${o.url} refused ${what}: ${res.status} ${message}`, 502);
  };

  const targetDocument = async (name: string): Promise<PackageDocument | null> => {
    const res = await o.fetch(`${o.url}/v1/packages/${name}`, { headers: auth });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    return (await answer(res, `GET ${name}`)) as PackageDocument;
  };

  /** Downloads to a temporary file while hashing, publishes it once the digest matches, and removes it. */
  const copy = async (opts: SyncOptions, doc: PackageDocument, art: ArtifactDocument): Promise<void> => {
    const file = join(o.tmpDir, `.uni-sync-${randomBytes(8).toString('hex')}.tar.gz`);
    try {
      const hash = createHash('sha256');
      let size = 0;
      const counted = (await originBlob(opts.upstream, art, opts.onEvent && ((bytes) => opts.onEvent!({ kind: 'bytes', bytes })))).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            hash.update(chunk);
            size += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      await counted.pipeTo(Writable.toWeb(createWriteStream(file)));
      const digest = `sha256:${hash.digest('hex')}`;
      if (digest !== art.digest || size !== art.size) throw digestMismatch(opts.upstream.url, art, digest, size);
      const path = `/v1/packages/${art.name}/${encodeURIComponent(art.version)}/${art.arch}?private=${doc.private}`;
      const res = await o.fetch(`${o.url}${path}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/gzip', 'content-length': String(size) },
        body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as RequestInit);
      const published = (await answer(res, `the publish of ${art.name}@${art.version} (${art.arch})`)) as { digest?: string };
      if (published.digest !== art.digest) {
        throw new UniError('target_refused', `target registry ${o.url} recorded ${art.name}@${art.version} (${art.arch}) as ${published.digest}, not ${art.digest}`, 502);
      }
    } finally {
      rmSync(file, { force: true });
    }
  };

  return {
    async readPosition(key) {
      return readState(o.stateFile)[stateKey(key)] ?? 0;
    },

    async writePosition(key, seq) {
      const state = { ...readState(o.stateFile), [stateKey(key)]: seq };
      mkdirSync(dirname(o.stateFile), { recursive: true });
      const tmp = `${o.stateFile}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
      renameSync(tmp, o.stateFile);
    },

    async applyPackage(doc, _etag, opts, run) {
      const held = await targetDocument(doc.name);
      const missing: { version: string; arch: string }[] = [];
      for (const [version, v] of Object.entries(doc.versions)) {
        for (const [arch, a] of Object.entries(v.artifacts)) {
          if (opts.arches && !opts.arches.includes(arch)) continue;
          const there = held?.versions[version]?.artifacts[arch];
          if (!there) missing.push({ version, arch });
          else if (there.digest !== a.digest) {
            throw new UniError('conflict', `target registry ${o.url} holds ${doc.name}@${version} (${arch}) as ${there.digest}, the origin as ${a.digest}`, 409);
          }
        }
      }
      await inParallel(missing, missing.length, (m) =>
        run.download(async () => {
          const art = await opts.upstream.artifactDocument(doc.name, m.version, m.arch);
          if (!art) throw new UniError('upstream_missing', `origin ${opts.upstream.url} lists ${doc.name}@${m.version} (${m.arch}) but has no artifact document for it`, 502);
          opts.onEvent?.({ kind: 'queued', bytes: art.size });
          await copy(opts, doc, art);
          run.copied(art.size);
        }),
      );
      for (const [version, v] of Object.entries(doc.versions)) {
        const there = held?.versions[version];
        const hasCopy = there !== undefined || missing.some((m) => m.version === version);
        const was = there?.yanked ?? false;
        if (!hasCopy || (was === v.yanked && (!v.yanked || there?.yankReason === v.yankReason))) continue;
        const path = `${o.url}/v1/packages/${doc.name}/${encodeURIComponent(version)}/yank`;
        const res = v.yanked
          ? await o.fetch(path, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(v.yankReason !== undefined ? { reason: v.yankReason } : {}) })
          : await o.fetch(path, { method: 'DELETE', headers: auth });
        await answer(res, `the ${v.yanked ? 'yank' : 'unyank'} of ${doc.name}@${version}`);
      }
    },

    // The API has no unpublish: a package the origin stopped showing stays in the target.
    async forget() {},
  };
}
