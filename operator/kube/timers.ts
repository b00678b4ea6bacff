/** Injectable time: the wall clock and one-shot timers, so loops can be driven by tests. */
import type { Clock } from '../../lib/time/clock.ts';

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

/** The shared runtime's Clock (lib/time/clock.ts) on these timers, for shared components (the Lease elector). */
export function asClock(timers: Timers): Clock {
  return {
    now: () => timers.now(),
    setTimeout(fn, ms) {
      return { cancel: timers.after(ms, fn) };
    },
  };
}
