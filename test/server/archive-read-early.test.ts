/**
 * A refusal that comes long before the end of the bytes: the reader must give its own
 * UniError whatever is left unread and however the bytes arrive, not the teardown error of
 * the streams it stops (Premature close, zlib's, tar-stream's).
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../protocol/archive/index.js';
import { isUniError } from '../../protocol/errors.js';
import { buildTar, gzipTar, type TarEntry } from '../helpers/archive.js';

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function refusal(bytes: Buffer, size: number): Promise<unknown> {
  try {
    await readArchive(chunks(bytes, size));
  } catch (e) {
    return e;
  }
  throw new Error('the archive was accepted');
}

const SIZES = [1, 511, 4096, 16 * 1024, 65_536, 1 << 20];

describe('readArchive refusing early', () => {
  it('names the first entry "../evil" with 2 MB still unread, in every chunk size', async () => {
    const archive = gzipSync(await buildTar([{ name: '../evil', content: 'x' }, { name: 'a_1/big', content: randomBytes(2_000_000) }]), { level: 0 });
    for (const size of [...SIZES, archive.length]) {
      const e = await refusal(archive, size);
      expect(isUniError(e), `chunks of ${size}: ${String(e)}`).toBe(true);
      expect((e as Error).message).toBe('archive entry "../evil" contains ".."; entries may not leave the top folder');
    }
  });

  it('stops at the entry limit with the rest of 120,000 tiny entries unread, in every chunk size', async () => {
    const entries: TarEntry[] = [{ name: 'p_1/', type: 'directory' }];
    for (let i = 0; i < 120_000; i += 1) entries.push({ name: `p_1/f${i}`, content: '' });
    const archive = await gzipTar(entries);
    for (const size of [4096, 65_536, archive.length]) {
      const e = await refusal(archive, size);
      expect(isUniError(e), `chunks of ${size}: ${String(e)}`).toBe(true);
      expect(e).toMatchObject({ code: 'archive_too_large', status: 413, message: 'archive has more than 100000 entries (at "p_1/f99999")' });
    }
  });

  it('passes a visitor\'s own failure through as it is, not as a malformed tar', async () => {
    const archive = gzipSync(await buildTar([{ name: 'a_1/', type: 'directory' }, { name: 'a_1/f', content: randomBytes(200_000) }]), { level: 0 });
    const disk = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const read = readArchive(chunks(archive, 4096), {
      visitor: {
        entry: () => undefined,
        onData: () => {
          throw disk;
        },
        onEnd: () => undefined,
      },
    });
    await expect(read).rejects.toBe(disk);
  });
});
