/**
 * Design §4.5: records lost to the bounded Kafka buffer are counted (sink metric), logged and
 * reported on the status topic as `degraded` events with the count since the last report.
 * Reports are coalesced: at most one per interval, whatever the number of overflow episodes
 * (under overload the buffer alternates between full and not many times a second), and a report
 * is never sent from inside its own sending (a refused report is retried at the next interval,
 * its own refusal counted in it). While Kafka is down nothing is published (it would only
 * overflow too); the count is reported once Kafka takes records again. Status records have a
 * reserved lane in the buffer (run.ts), so a buffer full of data does not keep the report out.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';
import type { SinkHealth } from '../kafka/sink.ts';
import { overflowEvent, type StatusEvent } from './status-event.ts';

export const OVERFLOW_REPORT_INTERVAL_MS = 5_000;

export interface OverflowDetail {
  /** Records were dropped within the last report interval. */
  overflowing: boolean;
  /** Dropped since the process started. */
  overflowed_records: number;
  /** Dropped and not yet on the status topic. */
  unreported_records: number;
  last_overflow_at: string | null;
  /** Whether Kafka was healthy at the last overflow (the forwarder could not keep up). */
  while_kafka_healthy: boolean | null;
}

export interface OverflowReporter {
  /** Sink health listener. */
  onHealth(h: SinkHealth): void;
  /** For /readyz detail. */
  detail(): OverflowDetail;
  stop(): void;
}

export interface OverflowReporterDeps {
  feed: string;
  logger: Logger;
  health(): SinkHealth;
  /** Sends a status event; false when the sink refused it. */
  publish(event: StatusEvent): boolean;
  /** Called when the `overflowing` state changes (a gauge). */
  onOverflowing?(on: boolean): void;
  clock?: Clock;
  intervalMs?: number;
}

const unrefClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export function createOverflowReporter(deps: OverflowReporterDeps): OverflowReporter {
  const clock = deps.clock ?? unrefClock;
  const intervalMs = deps.intervalMs ?? OVERFLOW_REPORT_INTERVAL_MS;
  let seen = 0;
  let logged = 0;
  let reported = 0;
  let lastReportAt = Number.NEGATIVE_INFINITY;
  let lastLogAt = Number.NEGATIVE_INFINITY;
  let lastOverflowAt: number | null = null;
  let lastOverflowHealthy: boolean | null = null;
  let overflowing = false;
  let inFlush = false;
  let timer: TimerHandle | null = null;
  let stopped = false;

  function setOverflowing(on: boolean): void {
    if (on === overflowing) return;
    overflowing = on;
    deps.onOverflowing?.(on);
  }

  function note(h: SinkHealth): void {
    if (h.overflowedRecords > seen) {
      seen = h.overflowedRecords;
      lastOverflowAt = clock.now();
      lastOverflowHealthy = h.ok;
      setOverflowing(true);
    }
  }

  function arm(ms: number): void {
    if (timer !== null || stopped) return;
    timer = clock.setTimeout(() => {
      timer = null;
      flush();
    }, ms);
  }

  function flush(): void {
    if (inFlush || stopped) return;
    inFlush = true;
    try {
      const h = deps.health();
      note(h);
      const now = clock.now();
      if (overflowing && lastOverflowAt !== null && now - lastOverflowAt >= intervalMs) setOverflowing(false);
      if (h.overflowedRecords > logged && now - lastLogAt >= intervalMs) {
        deps.logger.error(
          {
            overflowed_records: h.overflowedRecords - logged,
            overflowed_total: h.overflowedRecords,
            kafka_ok: h.ok,
            error_class: h.errorClass,
          },
          h.ok
            ? 'Kafka buffer full while Kafka is healthy (the forwarder cannot keep up): records dropped'
            : 'Kafka buffer full while Kafka is unavailable: records dropped',
        );
        logged = h.overflowedRecords;
        lastLogAt = now;
      }
      const due = h.overflowedRecords > reported && h.ok;
      if (due && now - lastReportAt >= intervalMs) {
        const total = h.overflowedRecords;
        lastReportAt = now;
        const event = overflowEvent(total - reported, h.errorClass, now, deps.feed);
        // Any overflow this send causes is counted by the sink and reported next time.
        if (deps.publish(event)) reported = total;
      }
      // Re-check after the interval: coalesced counts, a refused report, the overflowing state.
      if (overflowing || h.overflowedRecords > reported || h.overflowedRecords > logged) {
        arm(intervalMs);
      }
    } finally {
      inFlush = false;
    }
  }

  return {
    onHealth(h) {
      note(h);
      // Never from inside our own report (its send may overflow and notify again).
      if (!inFlush) flush();
    },
    detail() {
      const h = deps.health();
      return {
        overflowing,
        overflowed_records: h.overflowedRecords,
        unreported_records: Math.max(0, h.overflowedRecords - reported),
        last_overflow_at: lastOverflowAt === null ? null : new Date(lastOverflowAt).toISOString(),
        while_kafka_healthy: lastOverflowHealthy,
      };
    },
    stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
    },
  };
}
