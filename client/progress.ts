import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

/** What long work reports; the CLI shows it as a bar on a terminal, and nothing in a pipe. */
export interface Progress {
  /** More bytes are expected (a download starts). */
  addTotal(bytes: number): void;
  bytes(n: number): void;
  packageDone(): void;
  stop(): void;
}

export const silentProgress: Progress = { addTotal() {}, bytes() {}, packageDone() {}, stop() {} };

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A bar of bytes, rate and packages on `stream`, or silence when it is not a terminal. */
export function createProgress(stream: NodeJS.WriteStream, packages: number, now: () => number = Date.now): Progress {
  if (!stream.isTTY) return silentProgress;
  // Loaded only for a terminal: in pipes and scripts the bar is never drawn, so it costs nothing.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {done}/{size} | {rate}/s | {pkgs}/{count} packages',
      // A hidden cursor would stay hidden after Ctrl-C.
      hideCursor: false,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = now();
  let total = 0;
  let value = 0;
  let pkgs = 0;
  let running = false;
  const payload = () => ({
    done: formatBytes(value),
    size: formatBytes(total),
    rate: formatBytes(value / Math.max(0.001, (now() - started) / 1000)),
    pkgs,
    count: packages,
  });
  return {
    addTotal(bytes) {
      total += bytes;
      if (!running) {
        bar.start(total, value, payload());
        running = true;
      } else bar.setTotal(total);
    },
    bytes(n) {
      value += n;
      if (running) bar.update(value, payload());
    },
    packageDone() {
      pkgs++;
      if (running) bar.update(value, payload());
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** One piece of long work over a known number of bytes (packing, checking, uploading). */
export interface TaskProgress {
  bytes(n: number): void;
  stop(): void;
}

export const silentTask: TaskProgress = { bytes() {}, stop() {} };

/**
 * A bar for `task` on `stream` when it is a terminal, or silence: scripts and pipes see only
 * the result. The bar is cleared when the work ends, so the result lines stay as they were.
 */
export function createTaskProgress(stream: NodeJS.WriteStream, task: string, total: number, now: () => number = Date.now): TaskProgress {
  if (!stream.isTTY) return silentTask;
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
  const bar = new cliProgress.SingleBar(
    { stream, format: '{task} {bar} {done}/{size} | {rate}/s', hideCursor: false, clearOnComplete: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  const started = now();
  let value = 0;
  const payload = () => ({ task, done: formatBytes(value), size: formatBytes(total), rate: formatBytes(value / Math.max(0.001, (now() - started) / 1000)) });
  bar.start(total, 0, payload());
  let running = true;
  return {
    bytes(n) {
      value += n;
      if (running) bar.update(value, payload());
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** For work that reports no amounts (from-binary copies files synchronously): one line saying what it is doing, on a terminal only. */
export function announce(stream: NodeJS.WriteStream, line: string): void {
  if (stream.isTTY) stream.write(`${line}\n`);
}
