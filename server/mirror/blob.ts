/**
 * Pull-through of a blob: fetched from the upstream on first request, streamed to the client
 * while it is staged, and committed only when its sha256 is the digest the upstream's
 * document gave. The client's stream holds back its last chunk until that check: on a
 * mismatch the blob is discarded and the client's download fails instead of completing.
 */
import { UniError } from '../../protocol/errors.js';
import { splitStream } from '../publish/split.js';
import { askUpstream, type MirrorContext } from './refresh.js';

function mismatch(digest: string, got: string, size: number, expected: number): UniError {
  return new UniError(
    'digest_mismatch',
    `the upstream's bytes for ${digest} hash to ${got} (${size} bytes, expected ${expected}); the blob was discarded`,
    502,
  );
}

/** The client's stream of the blob; the blob is stored (or discarded) whether or not the client reads it to the end. */
export async function pullBlob(ctx: MirrorContext, digest: string, expectedSize: number): Promise<ReadableStream<Uint8Array>> {
  if (ctx.mirror.config.offline) {
    throw new UniError('not_found', `blob ${digest} not found: it is not in this mirror's cache and the mirror is offline`, 404);
  }
  const source = await askUpstream(ctx, (u) => u.blob(digest));
  if (source === null) {
    throw new UniError('upstream_missing', `upstream ${ctx.mirror.config.upstream} has no blob ${digest}, which its package document lists`, 502);
  }
  const split = splitStream(source);
  const stored = ctx.blobs.stage(split.first, expectedSize).then(
    async (staged) => {
      if (staged.digest !== digest || staged.size !== expectedSize) {
        await ctx.blobs.discard(staged);
        throw mismatch(digest, staged.digest, staged.size, expectedSize);
      }
      await ctx.blobs.commit(staged);
    },
    (e: unknown) => {
      split.abort(e);
      throw e;
    },
  );
  const outcome = stored.then(
    () => null,
    (e: unknown) => {
      ctx.log(`mirror: blob ${digest} from ${ctx.mirror.config.upstream} not kept: ${(e as Error).message}`);
      return e;
    },
  );
  let held: Uint8Array | null = null;
  return split.second.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (held) controller.enqueue(held);
        held = chunk;
      },
      async flush(controller) {
        const failure = await outcome;
        if (failure !== null) {
          controller.error(failure);
          return;
        }
        if (held) controller.enqueue(held);
      },
    }),
  );
}
