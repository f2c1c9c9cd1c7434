/** `uni mirror sync`'s progress bar: bytes, rate and packages on a terminal, nothing in a pipe. */
import cliProgress from 'cli-progress';
import type { SyncEvent } from '../mirror/sync.js';

export interface SyncProgress {
  onEvent: (e: SyncEvent) => void;
  stop(): void;
}

const MB = 1e6;

export function syncProgress(stream: NodeJS.WriteStream): SyncProgress {
  if (!stream.isTTY) return { onEvent: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream, format: '{bar} {done}/{size} MB | {rate} MB/s | {packages} packages | change {seq}', hideCursor: true, clearOnComplete: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let total = 0;
  let value = 0;
  let packages = 0;
  let seq = 0;
  let running = false;
  const payload = () => ({
    done: (value / MB).toFixed(1),
    size: (total / MB).toFixed(1),
    rate: (value / MB / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1),
    packages,
    seq,
  });
  const show = (): void => {
    if (!running) {
      bar.start(Math.max(total, 1), value, payload());
      running = true;
    }
    bar.setTotal(Math.max(total, 1));
    bar.update(value, payload());
  };
  return {
    onEvent(e) {
      if (e.kind === 'queued') total += e.bytes;
      else if (e.kind === 'bytes') value += e.bytes;
      else if (e.kind === 'package') packages++;
      else seq = e.seq;
      show();
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
