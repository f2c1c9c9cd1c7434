/**
 * One stream read by two consumers (the blob stage and the archive reader) without
 * ReadableStream.tee(), whose slower branch buffers without bound. Here the source is read
 * only when both branches have taken the previous chunk, so memory stays at a chunk or two
 * whatever the upload's size. A branch that is cancelled stops counting: the other one then
 * reads alone.
 */
export interface Split {
  first: ReadableStream<Uint8Array>;
  second: ReadableStream<Uint8Array>;
  /** Fails both branches with `reason` and cancels the source. */
  abort(reason: unknown): void;
}

interface Branch {
  controller: ReadableStreamDefaultController<Uint8Array> | null;
  pending: Uint8Array | null;
  cancelled: boolean;
  /** Wakes the other branch when this one takes its pending chunk or is cancelled. */
  drained: (() => void) | null;
}

export function splitStream(source: ReadableStream<Uint8Array>): Split {
  const reader = source.getReader();
  const branches: [Branch, Branch] = [
    { controller: null, pending: null, cancelled: false, drained: null },
    { controller: null, pending: null, cancelled: false, drained: null },
  ];
  let done = false;
  let failed = false;
  let reading: Promise<void> | null = null;

  const wake = (b: Branch): void => {
    const fn = b.drained;
    b.drained = null;
    fn?.();
  };

  const readOne = async (): Promise<void> => {
    const { value, done: end } = await reader.read();
    if (end) {
      done = true;
      return;
    }
    for (const b of branches) if (!b.cancelled) b.pending = value;
  };

  const fail = (reason: unknown): void => {
    if (failed) return;
    failed = true;
    for (const b of branches) {
      // A branch that already closed has nothing left to fail.
      if (!b.cancelled) {
        try {
          b.controller?.error(reason);
        } catch {
          /* closed already */
        }
      }
      wake(b);
    }
    reader.cancel(reason).catch(() => undefined);
  };

  const pull = async (self: Branch, other: Branch): Promise<void> => {
    for (;;) {
      if (failed) return;
      if (self.pending !== null) {
        const chunk = self.pending;
        self.pending = null;
        self.controller!.enqueue(chunk);
        wake(self);
        return;
      }
      if (done) {
        self.controller!.close();
        return;
      }
      if (!other.cancelled && other.pending !== null) {
        await new Promise<void>((resolve) => (other.drained = resolve));
        continue;
      }
      reading ??= readOne().finally(() => (reading = null));
      try {
        await reading;
      } catch (e) {
        fail(e);
        return;
      }
    }
  };

  const branchStream = (self: Branch, other: Branch): ReadableStream<Uint8Array> =>
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          self.controller = controller;
        },
        pull: () => pull(self, other),
        cancel(reason) {
          self.cancelled = true;
          self.pending = null;
          wake(self);
          if (other.cancelled) reader.cancel(reason).catch(() => undefined);
        },
      },
      { highWaterMark: 0 },
    );

  return {
    first: branchStream(branches[0], branches[1]),
    second: branchStream(branches[1], branches[0]),
    abort: fail,
  };
}
