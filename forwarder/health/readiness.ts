/**
 * Readiness (design §3.2): pure evaluation of the gates, plus a tracker that remembers since when
 * the current (ready, error_class, reason) state has held.
 *
 * Gates: alpaca_ws = market-data stream healthy; kafka = sink healthy; trade_updates = trade
 * stream healthy, null when disabled. When several gates fail, error_class is the most actionable
 * one, in ERROR_CLASS_PRIORITY order (406 first: the operator acts on it), and reason comes from
 * the same gate. A gate that is not yet healthy without any error (first connect) gives
 * error_class null and reason `<gate>_connecting`.
 */

import {
  ERROR_CLASSES,
  type ErrorClass,
  type GateName,
  type ReadinessBody,
} from '../../contracts/readiness.ts';
import type { StreamState } from '../alpaca/types.ts';
import type { SinkHealth } from '../kafka/sink.ts';

/** The contract lists the error classes in this order. */
export const ERROR_CLASS_PRIORITY: readonly ErrorClass[] = ERROR_CLASSES;

export interface ReadinessInputs {
  marketData: StreamState | null;
  /** undefined when trade updates are disabled; null before the stream reported anything. */
  tradeUpdates: StreamState | null | undefined;
  kafka: SinkHealth;
  /** Market-data lag (detail only: lagging alone never makes the forwarder unready). */
  lag?: { lagMs: number | null; lagging: boolean; thresholdMs: number };
  /** Freshness (detail only: a stale symbol is reported; a silent channel reconnects the stream). */
  freshness?: FreshnessDetail;
}

export interface FreshnessDetail {
  phase: string;
  calendar: 'alpaca' | 'fallback';
  calendarReason: string | null;
  staleAfterMs: number;
  staleChannels: readonly string[];
  /** Bounded list, `channel:SYMBOL`. */
  staleSymbols: readonly string[];
  staleCounts: Record<string, number>;
}

interface Failure {
  gate: GateName;
  errorClass: ErrorClass | null;
  reason: string;
}

const REASON = /^[a-z0-9_]{1,64}$/;

function safeReason(reason: string | null | undefined, fallback: string): string {
  return reason && REASON.test(reason) ? reason : fallback;
}

function streamFailure(gate: Exclude<GateName, 'kafka'>, state: StreamState | null): Failure | null {
  if (state?.status === 'healthy') return null;
  if (!state) return { gate, errorClass: null, reason: `${gate}_connecting` };
  const errorClass = state.errorClass ?? (state.status === 'connecting' ? null : 'unknown');
  return { gate, errorClass, reason: safeReason(state.reason, `${gate}_${state.status}`) };
}

function rank(f: Failure): number {
  return f.errorClass === null ? ERROR_CLASS_PRIORITY.length : ERROR_CLASS_PRIORITY.indexOf(f.errorClass);
}

export type ReadinessState = Omit<ReadinessBody, 'since'>;

export function evaluateReadiness(inputs: ReadinessInputs): ReadinessState {
  const failures: Failure[] = [];
  const md = streamFailure('alpaca_ws', inputs.marketData);
  if (md) failures.push(md);
  const tu = inputs.tradeUpdates === undefined ? null : streamFailure('trade_updates', inputs.tradeUpdates);
  if (tu) failures.push(tu);
  if (!inputs.kafka.ok) {
    // No class from the sink = not connected yet (or closed): like a connecting stream, no error.
    const errorClass = inputs.kafka.errorClass;
    failures.push({
      gate: 'kafka',
      errorClass,
      reason: safeReason(inputs.kafka.reason, errorClass ?? 'kafka_connecting'),
    });
  }
  const first = [...failures].sort((a, b) => rank(a) - rank(b))[0];
  return {
    ready: failures.length === 0,
    error_class: first?.errorClass ?? null,
    reason: first?.reason ?? null,
    gates: {
      alpaca_ws: md === null,
      kafka: inputs.kafka.ok,
      trade_updates: inputs.tradeUpdates === undefined ? null : tu === null,
    },
    detail: {
      failing_gates: failures.map((f) => f.gate),
      market_data: inputs.marketData ? streamDetail(inputs.marketData) : null,
      trade_updates: inputs.tradeUpdates ? streamDetail(inputs.tradeUpdates) : null,
      ...(inputs.lag
        ? {
            lag: {
              lag_ms: inputs.lag.lagMs === null ? null : Math.round(inputs.lag.lagMs),
              lagging: inputs.lag.lagging,
              threshold_ms: inputs.lag.thresholdMs,
            },
          }
        : {}),
      ...(inputs.freshness
        ? {
            freshness: {
              phase: inputs.freshness.phase,
              calendar: inputs.freshness.calendar,
              calendar_reason: inputs.freshness.calendarReason,
              stale_after_ms: inputs.freshness.staleAfterMs,
              stale_channels: [...inputs.freshness.staleChannels],
              stale_symbols: [...inputs.freshness.staleSymbols],
              stale_symbol_counts: { ...inputs.freshness.staleCounts },
            },
          }
        : {}),
      kafka: {
        consecutive_failures: inputs.kafka.consecutiveFailures,
        buffered_records: inputs.kafka.bufferedRecords,
        buffered_bytes: inputs.kafka.bufferedBytes,
        overflowed_records: inputs.kafka.overflowedRecords,
        // kafka_topic_missing: which topics (valid topic names only, never an upstream message).
        ...(!inputs.kafka.ok && inputs.kafka.missingTopics?.length
          ? { missing_topics: inputs.kafka.missingTopics }
          : {}),
      },
    },
  };
}

function streamDetail(s: StreamState): Record<string, unknown> {
  return {
    status: s.status,
    reason: s.reason === null ? null : safeReason(s.reason, 'invalid_reason'),
    attempt: s.attempt,
    since: new Date(s.atMs).toISOString(),
    next_attempt_at: s.nextAttemptAtMs === undefined ? null : new Date(s.nextAttemptAtMs).toISOString(),
  };
}

/** Keeps `since`: the time the current (ready, error_class, reason) began. */
export class ReadinessTracker {
  #key = '';
  #sinceMs: number;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
    this.#sinceMs = now();
  }

  body(state: ReadinessState): ReadinessBody {
    const key = `${state.ready}|${state.error_class}|${state.reason}`;
    if (key !== this.#key) {
      this.#key = key;
      this.#sinceMs = this.#now();
    }
    return { ...state, since: new Date(this.#sinceMs).toISOString() };
  }
}
