/**
 * Time source for the simulator. Everything time-dependent (auth deadline, lingering slots,
 * scheduled pushes, generated data, REST rate windows) goes through a SimClock, so tests drive
 * time with a ManualClock instead of sleeping.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface SimClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms`. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` every `ms`. */
  setRepeating(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: SimClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const h = setTimeout(fn, ms);
    h.unref();
    return { cancel: () => clearTimeout(h) };
  },
  setRepeating(ms, fn) {
    const h = setInterval(fn, ms);
    h.unref();
    return { cancel: () => clearInterval(h) };
  },
};

interface ManualTimer {
  id: number;
  due: number;
  every: number | null;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when the test calls `advance` or `set`; due timers run in order. */
export class ManualClock implements SimClock {
  private current: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 5, 15, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.add(ms, null, fn);
  }

  setRepeating(ms: number, fn: () => void): TimerHandle {
    if (!(ms > 0)) throw new Error(`ManualClock.setRepeating: interval must be > 0, got ${ms}`);
    return this.add(ms, ms, fn);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, in due order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    this.runUntil(this.current + ms);
  }

  /** Moves time to `ms` (never backwards). */
  set(ms: number): void {
    if (ms < this.current) throw new Error(`ManualClock.set: cannot go back from ${this.current} to ${ms}`);
    this.runUntil(ms);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private add(ms: number, every: number | null, fn: () => void): TimerHandle {
    const timer: ManualTimer = {
      id: this.nextId++,
      due: this.current + Math.max(0, ms),
      every,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  private runUntil(target: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (
          t.due <= target &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))
        ) {
          next = t;
        }
      }
      if (next === undefined) break;
      this.current = Math.max(this.current, next.due);
      if (next.every === null) next.cancelled = true;
      else next.due += next.every;
      next.fn();
    }
    this.current = target;
  }
}
