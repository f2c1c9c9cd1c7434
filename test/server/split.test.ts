import { describe, expect, it } from 'vitest';
import { splitStream } from '../../server/publish/split.js';
import { parseRange } from '../../server/routes/range.js';

function counter(chunks: number, size: number) {
  const state = { produced: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.produced === chunks) return controller.close();
        state.produced += 1;
        controller.enqueue(new Uint8Array(size).fill(state.produced % 256));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function drain(s: ReadableStream<Uint8Array>, onChunk?: () => Promise<void>): Promise<number> {
  let bytes = 0;
  for await (const c of s as AsyncIterable<Uint8Array>) {
    bytes += c.length;
    await onChunk?.();
  }
  return bytes;
}

describe('splitStream', () => {
  it('gives both branches every byte and never runs ahead of the slower one', async () => {
    const { stream, state } = counter(200, 1024);
    const split = splitStream(stream);
    let slowSeen = 0;
    let maxLead = 0;
    const [fast, slow] = await Promise.all([
      drain(split.first, async () => {
        maxLead = Math.max(maxLead, state.produced - slowSeen);
      }),
      drain(split.second, async () => {
        slowSeen += 1;
        await new Promise((r) => setTimeout(r, 1));
      }),
    ]);
    expect(fast).toBe(200 * 1024);
    expect(slow).toBe(200 * 1024);
    expect(maxLead).toBeLessThanOrEqual(2);
  });

  it('lets one branch go on alone when the other is cancelled', async () => {
    const { stream } = counter(50, 100);
    const split = splitStream(stream);
    const reader = split.second.getReader();
    await reader.read();
    await reader.cancel('validator gave up');
    expect(await drain(split.first)).toBe(5000);
  });

  it('fails both branches on abort', async () => {
    const { stream } = counter(50, 100);
    const split = splitStream(stream);
    const a = drain(split.first);
    const b = drain(split.second);
    split.abort(new Error('too large'));
    await expect(a).rejects.toThrow('too large');
    await expect(b).rejects.toThrow('too large');
  });
});

describe('parseRange', () => {
  it('reads one byte range and refuses what cannot be served', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-5', 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=9-3', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange(undefined, 100)).toBeNull();
  });
});
