/**
 * What every BlobStore adapter must do, as one suite: the folder, S3 and R2 adapters run it
 * unchanged, so a behaviour that differs between them fails here before it reaches the API.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UniError } from '../../protocol/errors.js';
import type { BlobStore } from '../../server/ports.js';

export interface OpenedStore {
  store: BlobStore;
  /** Every key the store holds, staged ones included. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `bytes` as a stream of `chunk`-sized pieces, as a request body arrives. */
export function streamOf(bytes: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

/** Sends `good` bytes, then fails the way a dropped client connection does. */
function failingStream(good: Uint8Array): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) {
        controller.error(new Error('client went away'));
        return;
      }
      sent = true;
      controller.enqueue(good);
    },
  });
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer());
}

export interface ContractOptions {
  /** A body larger than this spans several multipart parts in the adapter under test. */
  multipartBytes: number;
}

export function defineBlobStoreContract(name: string, open: () => Promise<OpenedStore>, opts: ContractOptions): void {
  describe(`BlobStore contract: ${name}`, () => {
    let s: OpenedStore;
    beforeAll(async () => {
      s = await open();
    });
    afterAll(async () => {
      await s?.close();
    });

    async function staged(bytes: Uint8Array) {
      const blob = await s.store.stage(streamOf(bytes), bytes.byteLength + 1);
      await s.store.commit(blob);
      return blob;
    }

    it('stages with the sha256 and size of the bytes, and commit makes them readable under the digest alone', async () => {
      const bytes = randomBytes(300_000);
      const before = await s.keys();
      const blob = await s.store.stage(streamOf(bytes), MiB);
      expect(blob.digest).toBe(digestOf(bytes));
      expect(blob.size).toBe(bytes.byteLength);
      expect(await s.store.head(blob.digest)).toBeNull();
      await s.store.commit(blob);
      expect(await s.store.head(blob.digest)).toEqual({ size: bytes.byteLength });
      const got = await s.store.get(blob.digest);
      expect(got?.size).toBe(bytes.byteLength);
      expect(got?.range).toBeUndefined();
      expect((await readAll(got!.body)).equals(bytes)).toBe(true);
      const added = (await s.keys()).filter((k) => !before.includes(k));
      expect(added).toHaveLength(1);
      expect(added[0]).toContain(blob.digest.slice('sha256:'.length));
    });

    it('streams a body of several multipart parts and reads it back whole', async () => {
      const bytes = randomBytes(opts.multipartBytes + 3 * MiB + 17);
      const blob = await staged(bytes);
      expect(blob.digest).toBe(digestOf(bytes));
      const got = await s.store.get(blob.digest);
      const back = await readAll(got!.body);
      expect(back.byteLength).toBe(bytes.byteLength);
      expect(back.equals(bytes)).toBe(true);
    });

    it('stores an empty body', async () => {
      const blob = await staged(new Uint8Array(0));
      expect(blob.digest).toBe(digestOf(new Uint8Array(0)));
      expect(await s.store.head(blob.digest)).toEqual({ size: 0 });
      expect((await readAll((await s.store.get(blob.digest))!.body)).byteLength).toBe(0);
    });

    it('answers a range with its bytes and the size of the whole blob', async () => {
      const bytes = randomBytes(100_000);
      const blob = await staged(bytes);
      for (const range of [{ start: 0, end: 0 }, { start: 10, end: 4_999 }, { start: 99_000, end: 99_999 }]) {
        const got = await s.store.get(blob.digest, range);
        expect(got?.size).toBe(bytes.byteLength);
        expect(got?.range).toEqual(range);
        expect((await readAll(got!.body)).equals(bytes.subarray(range.start, range.end + 1))).toBe(true);
      }
    });

    it('refuses a body past maxBytes with 413 and keeps nothing of it', async () => {
      const before = await s.keys();
      for (const size of [1000, opts.multipartBytes + MiB]) {
        const limit = size - 1;
        const err = await s.store.stage(streamOf(randomBytes(size)), limit).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UniError);
        expect(err).toMatchObject({ code: 'too_large', status: 413 });
        expect((err as Error).message).toContain(String(limit));
      }
      expect(await s.keys()).toEqual(before);
    });

    it('keeps nothing of a body whose stream fails midway', async () => {
      const before = await s.keys();
      await expect(s.store.stage(failingStream(randomBytes(200_000)), 10 * MiB)).rejects.toThrow();
      expect(await s.keys()).toEqual(before);
    });

    it('discard removes a staged blob without ever making it readable', async () => {
      const before = await s.keys();
      const bytes = randomBytes(50_000);
      const blob = await s.store.stage(streamOf(bytes), MiB);
      expect(await s.keys()).not.toEqual(before);
      await s.store.discard(blob);
      expect(await s.keys()).toEqual(before);
      expect(await s.store.get(blob.digest)).toBeNull();
    });

    it('a second commit of the same bytes is a no-op that leaves one blob and no staged copy', async () => {
      const bytes = randomBytes(40_000);
      const first = await staged(bytes);
      const keysAfterFirst = await s.keys();
      const second = await staged(bytes);
      expect(second.digest).toBe(first.digest);
      expect(await s.keys()).toEqual(keysAfterFirst);
      expect((await readAll((await s.store.get(first.digest))!.body)).equals(bytes)).toBe(true);
    });

    it('answers null for a digest it does not hold, and delete removes a blob', async () => {
      const missing = digestOf(randomBytes(8));
      expect(await s.store.head(missing)).toBeNull();
      expect(await s.store.get(missing)).toBeNull();
      expect(await s.store.get(missing, { start: 0, end: 1 })).toBeNull();
      await s.store.delete(missing);
      const blob = await staged(randomBytes(1000));
      await s.store.delete(blob.digest);
      expect(await s.store.head(blob.digest)).toBeNull();
      expect(await s.store.get(blob.digest)).toBeNull();
    });

    it('sweeps staged bodies older than the cut-off, keeping younger ones and committed blobs', async ({ skip }) => {
      if (!s.store.sweepStaged) skip('this store leaves the sweep to a bucket lifecycle rule');
      const before = await s.keys();
      const committed = await staged(randomBytes(1000));
      await s.store.stage(streamOf(randomBytes(1000)), MiB);
      const hour = 60 * 60 * 1000;
      expect(await s.store.sweepStaged!(hour, new Date())).toBe(0);
      expect((await s.keys()).filter((k) => !before.includes(k))).toHaveLength(2);
      expect(await s.store.sweepStaged!(hour, new Date(Date.now() + 2 * hour))).toBe(1);
      const left = (await s.keys()).filter((k) => !before.includes(k));
      expect(left).toHaveLength(1);
      expect(left[0]).toContain(committed.digest.slice('sha256:'.length));
    });

    it('lists committed blobs with their size and age, and never a staged body', async () => {
      const bytes = randomBytes(3000);
      const before = Date.now();
      const blob = await staged(bytes);
      await s.store.stage(streamOf(randomBytes(10)), MiB);
      const listed = [];
      for await (const page of s.store.listBlobs()) {
        expect(page.length).toBeLessThanOrEqual(1000);
        listed.push(...page);
      }
      const keys = await s.keys();
      expect(listed.length).toBe(keys.filter((k) => k.includes('sha256/')).length);
      const mine = listed.find((b) => b.digest === blob.digest);
      expect(mine?.size).toBe(bytes.byteLength);
      // Stores stamp in whole seconds or milliseconds, on their own clock: a generous window.
      expect(Math.abs(mine!.modifiedAt.getTime() - before)).toBeLessThan(60_000);
      expect(listed.every((b) => /^sha256:[0-9a-f]{64}$/.test(b.digest))).toBe(true);
    });

    it('refuses a key that is not a sha256 digest', async () => {
      await expect(s.store.head('sha256:../../etc/passwd')).rejects.toMatchObject({ code: 'bad_digest' });
      await expect(s.store.get('md5:abc')).rejects.toMatchObject({ code: 'bad_digest' });
    });
  });
}

/** `bytes` as a stream that records whether it was read to its end. */
function watchedStream(bytes: Uint8Array): { body: ReadableStream<Uint8Array>; readToEnd(): boolean } {
  let ended = false;
  const inner = streamOf(bytes).getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await inner.read();
      if (next.done) {
        ended = true;
        controller.close();
      } else controller.enqueue(next.value);
    },
  });
  return { body, readToEnd: () => ended };
}

/** A store that can be made to fail for real, then mended (where the fault allows it). */
export interface BreakableStore extends OpenedStore {
  /** The fault: a read-only folder, a stopped endpoint, a disposed binding. */
  break(): Promise<void>;
  repair?(): Promise<void>;
}

/**
 * What every adapter does when its store fails (server/ports.ts, "Faults"): a typed 503,
 * never "absent", never a raw error; the body read to its end so that the client gets the
 * answer; nothing left behind once the store is back.
 */
export function defineUnavailableContract(name: string, open: () => Promise<BreakableStore>): void {
  describe(`BlobStore contract, store unavailable: ${name}`, () => {
    it('answers 503 blob_store_unavailable, never null for a blob it holds, and keeps nothing', async () => {
      const s = await open();
      try {
        const kept = await s.store.stage(streamOf(randomBytes(5000)), MiB);
        await s.store.commit(kept);
        const before = await s.keys();
        await s.break();
        const unavailable = { code: 'blob_store_unavailable', status: 503 };

        const upload = watchedStream(randomBytes(300_000));
        const err = await s.store.stage(upload.body, MiB).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UniError);
        expect(err).toMatchObject(unavailable);
        expect((err as Error).message).toMatch(/^blob store .+: .+ failed: /);
        expect(upload.readToEnd()).toBe(true);

        // Either still readable (a read-only folder) or a fault: never "absent".
        const head = await s.store.head(kept.digest).catch((e: unknown) => e);
        if (head instanceof Error) expect(head).toMatchObject(unavailable);
        else expect(head).toEqual({ size: 5000 });
        await expect(s.store.delete(kept.digest)).rejects.toMatchObject(unavailable);
        await expect(s.store.commit(kept)).rejects.toMatchObject(unavailable);
        const listing = await (async () => {
          const digests: string[] = [];
          for await (const page of s.store.listBlobs()) digests.push(...page.map((b) => b.digest));
          return digests;
        })().catch((e: unknown) => e);
        if (listing instanceof Error) expect(listing).toMatchObject(unavailable);
        else expect(listing).toContain(kept.digest);

        if (s.repair) {
          await s.repair();
          expect(await s.keys()).toEqual(before);
          expect(await s.store.head(kept.digest)).toEqual({ size: 5000 });
        }
      } finally {
        await s.close();
      }
    });
  });
}

/**
 * A store out of space: 507 insufficient_storage naming the store, the body read to its end,
 * no partial object left, and a publish that succeeds once space is freed.
 */
export function defineFullContract(name: string, open: () => Promise<OpenedStore & { freeBytes: number; freeUp(): Promise<void> }>): void {
  describe(`BlobStore contract, store full: ${name}`, () => {
    it('answers 507 insufficient_storage naming the store, keeps nothing, and works again once space is freed', async () => {
      const s = await open();
      try {
        const before = await s.keys();
        const bytes = randomBytes(s.freeBytes + 2 * MiB);
        const upload = watchedStream(bytes);
        const err = await s.store.stage(upload.body, bytes.byteLength).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UniError);
        expect(err).toMatchObject({ code: 'insufficient_storage', status: 507 });
        expect((err as Error).message).toMatch(/^blob store .+ is full: .+ found no space left; nothing was stored$/);
        expect(upload.readToEnd()).toBe(true);
        expect(await s.keys()).toEqual(before);

        await s.freeUp();
        const blob = await s.store.stage(streamOf(bytes), bytes.byteLength);
        await s.store.commit(blob);
        expect(await s.store.head(blob.digest)).toEqual({ size: bytes.byteLength });
      } finally {
        await s.close();
      }
    });
  });
}
