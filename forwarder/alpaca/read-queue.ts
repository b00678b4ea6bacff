/**
 * The read queue between a stream's socket and its protocol session (issue 10.3). Frames are
 * taken off the socket as they arrive, at socket speed, and handled in time slices of `sliceMs`,
 * each followed by a turn of the event loop. Socket reads, pongs, Kafka responses and health
 * requests are served between slices. A burst faster than the forwarder can handle therefore
 * waits here, in bounded memory the forwarder accounts for, and not in Alpaca's per-client queue,
 * whose overflow ends the connection (407 slow client).
 *
 * The queue is bounded by bytes. When it reaches `maxBytes` it reports pressure (the supervisor
 * pauses socket reads: the backlog then waits in TCP and at Alpaca). Once it has drained to half
 * of that it reports relief (reads resume). Items run in push order, one at a time; a throw is
 * reported and the next item runs.
 */

export interface ReadQueueConfig {
  /** Bytes of frames held before socket reads pause (resumed at half). */
  maxBytes: number;
  /** Longest a slice of frame handling runs before the event loop gets a turn, ms. */
  sliceMs: number;
}

/**
 * 64 MiB is about 800 000 market-data events in Alpaca's msgpack frames (~80 bytes each): 20 s
 * of a burst 40 000 events/s above what the forwarder handles (bench/README.md, overload).
 * 10 ms slices cost one event-loop turn per ~600 events at 60 000 events/s.
 */
export const DEFAULT_READ_QUEUE: ReadQueueConfig = { maxBytes: 64 * 1024 * 1024, sliceMs: 10 };

export interface ReadQueueOptions<T> extends ReadQueueConfig {
  run(item: T): void;
  /** True when the queue reaches maxBytes, false once it is back at maxBytes / 2. */
  onPressure(full: boolean): void;
  onError(err: unknown): void;
  /** Monotonic ms (default performance.now). */
  now?: () => number;
  /** Runs the next slice after a turn of the event loop (default setImmediate). */
  schedule?: (fn: () => void) => void;
}

/** What waits in a read queue (frames read and not yet handled). */
export interface ReadBacklog {
  frames: number;
  bytes: number;
  /** Pressure reported and not yet relieved: the supervisor has paused socket reads. */
  paused: boolean;
}

/** Nothing waits (no stream, or none started). */
export const EMPTY_READ_BACKLOG: ReadBacklog = { frames: 0, bytes: 0, paused: false };

export interface ReadQueue<T> {
  push(item: T, bytes: number): void;
  state(): ReadBacklog;
  /** Resolves once every item pushed so far has run. */
  idle(): Promise<void>;
}

export function createReadQueue<T>(options: ReadQueueOptions<T>): ReadQueue<T> {
  const now = options.now ?? (() => performance.now());
  const schedule = options.schedule ?? ((fn: () => void) => void setImmediate(fn));
  const resumeAt = Math.floor(options.maxBytes / 2);
  let items: T[] = [];
  let sizes: number[] = [];
  let head = 0;
  let bytes = 0;
  let full = false;
  let scheduled = false;
  let idleWaiters: (() => void)[] = [];

  function compact(): void {
    items = items.slice(head);
    sizes = sizes.slice(head);
    head = 0;
  }

  function slice(): void {
    scheduled = false;
    const start = now();
    while (head < items.length) {
      const item = items[head] as T;
      bytes -= sizes[head] as number;
      items[head] = undefined as T;
      head += 1;
      try {
        options.run(item);
      } catch (err) {
        options.onError(err);
      }
      if (full && bytes <= resumeAt) {
        full = false;
        options.onPressure(false);
      }
      if (now() - start >= options.sliceMs) break;
    }
    if (head >= items.length) {
      items = [];
      sizes = [];
      head = 0;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    if (head > 1024 && head * 2 > items.length) compact();
    scheduled = true;
    schedule(slice);
  }

  return {
    push(item, size) {
      items.push(item);
      sizes.push(size);
      bytes += size;
      if (!full && bytes >= options.maxBytes) {
        full = true;
        options.onPressure(true);
      }
      if (!scheduled) {
        scheduled = true;
        schedule(slice);
      }
    },
    state: () => ({ frames: items.length - head, bytes, paused: full }),
    idle() {
      if (head >= items.length) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
