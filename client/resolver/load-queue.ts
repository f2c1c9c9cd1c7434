/**
 * Turns for fetching package documents: at most `limit` at once, the ones the solver waits
 * for ahead of prefetches, and none started after `stop` (a solve that ended, by failing or
 * succeeding, needs no more). A document listing 20,000 dependencies thus costs a few dozen
 * requests in flight, not 20,000, and a failure ends the run instead of the queue.
 */
interface Waiter {
  start: () => void;
  cancel: (reason: unknown) => void;
}

export class LoadQueue {
  private active = 0;
  /** Names waiting for a turn, in the order they were asked for. */
  private readonly waiting = new Map<string, Waiter>();
  /** Names the solver waits for, served before the rest, from `next` on. */
  private urgent: string[] = [];
  private next = 0;
  private stopped: { reason: unknown } | null = null;

  constructor(private readonly limit: number) {}

  /** Resolves when `name` may be fetched; the caller must `done()` after. */
  turn(name: string): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped.reason);
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((start, cancel) => this.waiting.set(name, { start, cancel }));
  }

  /** Moves a waiting name ahead of the prefetches. */
  hurry(name: string): void {
    if (this.waiting.has(name)) this.urgent.push(name);
  }

  done(): void {
    this.active -= 1;
    let name: string | undefined;
    while (name === undefined && this.next < this.urgent.length) {
      const candidate = this.urgent[this.next++]!;
      if (this.waiting.has(candidate)) name = candidate;
    }
    if (this.next === this.urgent.length) {
      this.urgent = [];
      this.next = 0;
    }
    name ??= this.waiting.keys().next().value;
    if (name === undefined) return;
    const waiter = this.waiting.get(name)!;
    this.waiting.delete(name);
    this.active += 1;
    waiter.start();
  }

  /** Refuses every turn not yet given; fetches already running finish on their own. */
  stop(reason: unknown): void {
    this.stopped = { reason };
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    this.urgent = [];
    this.next = 0;
    for (const w of waiters) w.cancel(reason);
  }
}
