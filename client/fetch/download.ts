import { UniError } from '../../protocol/errors.js';
import type { Progress } from '../progress.js';
import type { RegistryClient } from '../registry/client.js';
import { NetworkError, isNetworkError } from '../registry/http.js';

/**
 * The archive's bytes as they arrive. A connection lost mid-body is resumed with a Range
 * request from the last byte received, with the client's backoff, so that a flaky network
 * costs a retry, not the whole download.
 */
export async function* blobChunks(client: RegistryClient, digest: string, size: number, progress: Progress): AsyncGenerator<Uint8Array> {
  const policy = client.httpOptions.retry;
  let offset = 0;
  let failures = 0;
  for (;;) {
    const res = await client.blob(digest, offset);
    // A server that ignores Range sends everything again: skip what was already passed on.
    let skip = offset > 0 && res.status === 200 ? offset : 0;
    try {
      for await (const raw of res.body as AsyncIterable<Buffer>) {
        let chunk = raw;
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (chunk.length === 0) continue;
        }
        offset += chunk.length;
        progress.bytes(chunk.length);
        yield chunk;
      }
      if (offset >= size) return;
      throw new NetworkError(`the download of ${digest} ended after ${offset} of ${size} bytes`);
    } catch (e) {
      if (e instanceof UniError && !isNetworkError(e)) throw e;
      res.body.destroy();
      if (++failures > policy.retries) {
        throw isNetworkError(e) ? e : new NetworkError(`the download of ${digest} failed: ${(e as Error).message}`);
      }
      await client.httpOptions.sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** failures));
    }
  }
}
