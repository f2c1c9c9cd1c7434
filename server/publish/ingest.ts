/**
 * Reads a publish body once: each chunk goes both to the blob store (hashed and staged) and
 * to the archive reader (validated and indexed). The staged blob is discarded when the
 * archive is refused, so a bad publish leaves nothing.
 */
import { isUniError } from '../../protocol/errors.js';
import { readArchive, type ArchiveContents } from '../../protocol/archive/read.js';
import { checkArchiveIdentity, type ArchiveIdentity } from '../../protocol/archive/identity.js';
import type { BlobStore, StagedBlob } from '../ports.js';
import type { ServerConfig } from '../config.js';
import { splitStream } from './split.js';

export interface Ingested {
  staged: StagedBlob;
  contents: ArchiveContents;
}

export async function ingestArchive(
  blobs: BlobStore,
  config: ServerConfig,
  body: ReadableStream<Uint8Array>,
  expected: ArchiveIdentity,
): Promise<Ingested> {
  const split = splitStream(body);
  const staging = blobs.stage(split.first, config.maxBodyBytes).catch((e: unknown) => {
    split.abort(e);
    throw e;
  });
  const reading = readArchive(split.second, { limits: config.archiveLimits });
  const [staged, read] = await Promise.allSettled([staging, reading]);
  if (staged.status === 'rejected') {
    // The archive's own refusal names the entry at fault; a raw stream error on the staging
    // side (the body cut or torn down after the reader stopped) would only answer 500.
    const refused = read.status === 'rejected' && isUniError(read.reason);
    throw refused && !isUniError(staged.reason) ? read.reason : staged.reason;
  }
  try {
    if (read.status === 'rejected') throw read.reason;
    checkArchiveIdentity(read.value, expected);
    return { staged: staged.value, contents: read.value };
  } catch (e) {
    await blobs.discard(staged.value);
    throw e;
  }
}
