/**
 * Periodic `heartbeat` status events, one per stream per interval, so a consumer of the status
 * topic can tell a quiet stream (heartbeats keep coming, `events: 0`) from a forwarder that is
 * gone (no heartbeat for longer than the interval). Each carries the stream's connection state,
 * the receipt time of the newest event read off its socket, and how many were read since the
 * previous heartbeat. Timers run on the injected clock, so a test drives them without sleeping.
 */
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';
import type { AlpacaEvent, StreamName, StreamState } from '../alpaca/types.ts';
import { heartbeatEvent, type StatusEvent } from './status-event.ts';

export interface HeartbeatDeps {
  /** 0 disables heartbeats. */
  intervalMs: number;
  clock: Clock;
  streams: readonly StreamName[];
  feedOf(stream: StreamName): string;
  publish(event: StatusEvent): void;
}

export interface Heartbeat {
  /** The stream's latest connection state (null: none yet, e.g. after fresh streams replaced old ones). */
  setState(stream: StreamName, state: StreamState | null): void;
  /** Events handed to the pipeline; those read off a socket (source ws) are counted for their stream. */
  observe(events: readonly AlpacaEvent[]): void;
  start(): void;
  stop(): void;
}

interface Tally {
  state: StreamState | null;
  lastEventAtMs: number | null;
  events: number;
}

export function createHeartbeat(deps: HeartbeatDeps): Heartbeat {
  const tallies = new Map<StreamName, Tally>();
  for (const s of deps.streams) tallies.set(s, { state: null, lastEventAtMs: null, events: 0 });
  let timer: TimerHandle | null = null;
  let running = false;

  const beat = (): void => {
    timer = null;
    if (!running) return;
    const now = deps.clock.now();
    for (const [stream, t] of tallies) {
      deps.publish(
        heartbeatEvent(stream, t.state, t.lastEventAtMs, t.events, deps.intervalMs, now, deps.feedOf(stream)),
      );
      t.events = 0;
    }
    timer = deps.clock.setTimeout(beat, deps.intervalMs);
  };

  return {
    setState(stream, state) {
      const t = tallies.get(stream);
      if (t) t.state = state;
    },
    observe(events) {
      for (const e of events) {
        if (e.source !== 'ws') continue;
        const t = tallies.get(e.channel === 'trade_updates' ? 'trade_updates' : 'market_data');
        if (t === undefined) continue;
        t.events += 1;
        if (t.lastEventAtMs === null || e.receivedAtMs > t.lastEventAtMs) t.lastEventAtMs = e.receivedAtMs;
      }
    },
    start() {
      if (running || deps.intervalMs <= 0) return;
      running = true;
      timer = deps.clock.setTimeout(beat, deps.intervalMs);
    },
    stop() {
      running = false;
      timer?.cancel();
      timer = null;
    },
  };
}
