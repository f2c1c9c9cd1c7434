import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatBytes, silentProgress } from '../../client/progress.js';

function stream(isTTY: boolean): { s: NodeJS.WriteStream; out: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(w, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { s: w, out: () => text };
}

describe('progress', () => {
  it('stays silent when the stream is not a terminal', () => {
    const { s, out } = stream(false);
    const p = createProgress(s, 2);
    expect(p).toBe(silentProgress);
    p.addTotal(100);
    p.bytes(100);
    p.stop();
    expect(out()).toBe('');
  });

  it('draws bytes, rate and the package count on a terminal', () => {
    const { s, out } = stream(true);
    let now = 0;
    const p = createProgress(s, 3, () => now);
    p.addTotal(4 * 1024 * 1024);
    now = 1000;
    p.bytes(2 * 1024 * 1024);
    p.packageDone();
    p.stop();
    expect(out()).toContain('2.0 MB/4.0 MB | 2.0 MB/s | 1/3 packages');
  });

  it('formats sizes for people', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 KB', '5.0 GB']);
  });
});
