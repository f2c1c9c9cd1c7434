/**
 * Reading what is left of a request body before a refusal is sent. A server that answers
 * while the client is still sending and then closes the connection makes the client fail with
 * EPIPE or ECONNRESET before it reads the answer; reading the rest first lets it see why.
 * Always bounded in bytes and time, so that nobody can make the registry receive without end.
 */

/** How long a blob store fault (507, 503) keeps reading a publish body before giving up. */
export const STORE_FAULT_DRAIN_MS = 60_000;

/**
 * Reads and drops chunks from `reader` until the body ends, `maxBytes` have been read or
 * `deadlineMs` has passed, then releases it; never throws (a client gone is nothing to tell).
 */
export async function drainBody(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number, deadlineMs: number): Promise<void> {
  const drained = (async () => {
    let read = 0;
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      read += next.value.byteLength;
      if (read > maxBytes) return;
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  try {
    await Promise.race([drained, deadline]);
  } catch {
    // The client went away: there is no connection left to keep.
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}
