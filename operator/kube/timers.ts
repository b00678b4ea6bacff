/** Injectable time: the wall clock and one-shot timers, so loops can be driven by tests. */

export type Cancel = () => void;

export interface Timers {
  now(): number;
  /** Runs fn once after ms; the returned function cancels it. Timers never keep the process alive. */
  after(ms: number, fn: () => void): Cancel;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
};

/** Exponential backoff: attempt 0 → 0 ms, then base × 2^(attempt-1), capped at max. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  if (attempt <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
}
