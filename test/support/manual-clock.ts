/** A clock whose time moves only when the test says so; due timers run in time order. */
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Time of the earliest pending timer, or null. */
  nextDueAt(): number | null;
  pendingCount(): number;
}

export function createManualClock(startMs = Date.UTC(2026, 0, 5, 15, 0, 0)): ManualClock {
  let now = startMs;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms): TimerHandle {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { cancel: () => timers.delete(id) };
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let best: [number, { at: number; fn: () => void }] | null = null;
        for (const entry of timers)
          if (entry[1].at <= target && (best === null || entry[1].at < best[1].at)) best = entry;
        if (best === null) break;
        timers.delete(best[0]);
        now = best[1].at;
        best[1].fn();
      }
      now = target;
    },
    nextDueAt() {
      let min: number | null = null;
      for (const t of timers.values()) if (min === null || t.at < min) min = t.at;
      return min;
    },
    pendingCount: () => timers.size,
  };
}
