/**
 * ingestArchive on the real folder blob store: when the body breaks after the reader has
 * already refused the archive, the answer is the reader's refusal, and nothing is kept.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsBlobStore, type FsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { serverConfig } from '../../server/config.js';
import { ingestArchive } from '../../server/publish/ingest.js';
import { buildTar } from '../helpers/archive.js';

let dir: string;
let blobs: FsBlobStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uni-ingest-'));
  blobs = fsBlobStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The bytes in 16 KiB chunks, then, instead of the end, the error a dropped connection gives.
 * The split reads a chunk only when both sides took the previous one, so with 2 MiB sent
 * the reader has seen the first header long before the break.
 */
function brokenBody(bytes: Buffer, error: Error): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.error(error);
      c.enqueue(new Uint8Array(bytes.subarray(at, at + 16 * 1024)));
      at += 16 * 1024;
    },
  });
}

describe('ingestArchive', () => {
  it('answers the reader\'s refusal, naming the entry, when the body breaks after it', async () => {
    const archive = gzipSync(await buildTar([{ name: '../evil', content: 'x' }, { name: 'a_1/big', content: randomBytes(2 << 20) }]), { level: 0 });
    const cut = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const ingest = ingestArchive(blobs, serverConfig({ log: () => undefined }), brokenBody(archive, cut), {
      name: 'a',
      version: '1.0.0',
      arch: 'x86_64',
    });
    await expect(ingest).rejects.toMatchObject({
      code: 'bad_archive',
      status: 400,
      message: 'archive entry "../evil" contains ".."; entries may not leave the top folder',
    });
    expect(await blobs.list()).toEqual([]);
  });
});
