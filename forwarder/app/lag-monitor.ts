/**
 * WebSocket lag: now − Alpaca's event time of the newest event of each frame, once the pipeline
 * handled it. While the forwarder is behind (a burst faster than it drains) the lag grows; the
 * forwarder keeps reading and says so: `lagging` once the lag reaches the threshold, `healthy`
 * once it is below half of it again, or once no frame came for a threshold's time while lagging
 * (nothing waits to be read: the forwarder has caught up). Only WS events count (REST events are
 * old by design). Lagging never touches readiness: the forwarder is making progress.
 */
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';
import type { AlpacaEvent } from '../alpaca/types.ts';
import { parseEventMs } from '../pipeline/time.ts';

export interface LagChange {
  lagging: boolean;
  lagMs: number;
  atMs: number;
}

export interface LagMonitorDeps {
  thresholdMs: number;
  clock: Clock;
  onChange(change: LagChange): void;
  /** The current lag, for a gauge (seconds). */
  onLag?(seconds: number): void;
}

export interface LagMonitor {
  /** A batch of events the pipeline has just handled. */
  observe(events: readonly AlpacaEvent[]): void;
  /** Latest lag in ms (null before any WS event with a time), and whether it is lagging. */
  snapshot(): { lagMs: number | null; lagging: boolean };
  stop(): void;
}

export function createLagMonitor(deps: LagMonitorDeps): LagMonitor {
  const { clock, thresholdMs } = deps;
  let lagMs: number | null = null;
  let lagging = false;
  let caughtUpTimer: TimerHandle | null = null;

  function set(next: number, atMs: number): void {
    lagMs = next;
    deps.onLag?.(next / 1000);
    if (!lagging && next >= thresholdMs) {
      lagging = true;
      deps.onChange({ lagging, lagMs: next, atMs });
    } else if (lagging && next < thresholdMs / 2) {
      lagging = false;
      deps.onChange({ lagging, lagMs: next, atMs });
    }
    caughtUpTimer?.cancel();
    caughtUpTimer = null;
    if (lagging) caughtUpTimer = clock.setTimeout(() => set(0, clock.now()), thresholdMs);
  }

  return {
    observe(events) {
      for (let i = events.length - 1; i >= 0; i--) {
        const e = events[i] as AlpacaEvent;
        if (e.source !== 'ws' || e.eventTs === null) continue;
        const eventMs = parseEventMs(e.eventTs);
        if (Number.isNaN(eventMs)) continue;
        const now = clock.now();
        set(Math.max(0, now - eventMs), now);
        return;
      }
    },
    snapshot: () => ({ lagMs, lagging }),
    stop() {
      caughtUpTimer?.cancel();
      caughtUpTimer = null;
    },
  };
}
