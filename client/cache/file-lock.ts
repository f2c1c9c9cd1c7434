import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface FileLockOptions {
  /** A lock whose file has not been touched for this long is abandoned, whatever its pid says. */
  staleMs: number;
  /** How often the holder touches its lock to show it is alive. */
  heartbeatMs: number;
  /** How often a waiter looks again. */
  pollMs: number;
  /** Give up waiting after this long. */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const DEFAULT_LOCK: FileLockOptions = {
  staleMs: 30_000,
  heartbeatMs: 5_000,
  pollMs: 50,
  timeoutMs: 30 * 60_000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
};

interface Holder {
  pid: number;
  host: string;
  time: number;
}

function readHolder(path: string): (Holder & { mtimeMs: number; raw: string }) | null {
  try {
    const raw = readFileSync(path, 'utf8');
    const { mtimeMs } = statSync(path);
    const h = JSON.parse(raw) as Holder;
    return { ...h, mtimeMs, raw };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // A holder killed between create and write leaves an empty or torn file: judge it by age alone.
    try {
      return { pid: 0, host: '', time: 0, mtimeMs: statSync(path).mtimeMs, raw: '' };
    } catch {
      return null;
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(h: Holder & { mtimeMs: number }, opts: FileLockOptions): boolean {
  if (opts.now() - h.mtimeMs > opts.staleMs) return true;
  return h.host === hostname() && h.pid > 0 && !pidAlive(h.pid);
}

/**
 * Moves a stale lock aside atomically; if what was moved turns out not to be the lock judged
 * stale (its holder replaced it in between), it is put back with link(), which never overwrites.
 */
function breakLock(path: string, judged: string): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  let moved = '';
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    // Unreadable: it was torn, as the judged one was.
  }
  if (moved !== judged) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone else holds the lock now; the one we moved aside loses nothing it had.
    }
  }
  rmSync(aside, { force: true });
}

/** The content written, or null when another holder has the lock. */
function tryCreate(path: string, now: number): string | null {
  const content = JSON.stringify({ pid: process.pid, host: hostname(), time: now } satisfies Holder);
  try {
    const fd = openSync(path, 'wx', 0o644);
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return content;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw e;
  }
}

/**
 * Runs `fn` holding the lock file at `path` (O_EXCL create; pid, host and time inside). Waiters
 * poll; a lock whose holder died (dead pid on this host, or no heartbeat for `staleMs`) is
 * broken, so that a `uni` killed mid-download never blocks the next run.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions = DEFAULT_LOCK): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const started = opts.now();
  let mine: string | null;
  while ((mine = tryCreate(path, opts.now())) === null) {
    const holder = readHolder(path);
    if (holder && isStale(holder, opts)) {
      breakLock(path, holder.raw);
      continue;
    }
    if (opts.now() - started > opts.timeoutMs) {
      throw new Error(`timed out waiting for the cache lock ${path} held by pid ${holder?.pid ?? '?'}`);
    }
    await opts.sleep(opts.pollMs);
  }
  const beat = setInterval(() => {
    try {
      const t = new Date(opts.now());
      utimesSync(path, t, t);
    } catch {
      // The lock was broken as stale; the work is still checked before anyone trusts it.
    }
  }, opts.heartbeatMs);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    // Only our own lock: if ours was broken as stale, the file is now someone else's.
    if (readHolder(path)?.raw === mine) rmSync(path, { force: true });
  }
}
