/**
 * Status-topic events (design §3.4): one per connection state change of every stream. Kafka key =
 * the stream name (`market_data` or `trade_updates`), so each stream's events stay in order on
 * one partition; the envelope's symbol is the stream name too. Pure.
 */
import type { StreamGap, StreamState } from '../alpaca/types.ts';
import type { FreshnessReport } from '../app/freshness.ts';
import type { Envelope } from '../generated/envelope.ts';
import { formatMicros } from '../pipeline/time.ts';

export interface StatusEvent {
  /** The stream, or `kafka` for the sink's own events (buffer overflow). */
  stream: StreamState['stream'] | 'kafka';
  /**
   * `lagging`: the market-data stream is behind (see lagEvent); `heartbeat`: the periodic
   * liveness event (see heartbeatEvent). Neither is a connection state.
   */
  status: StreamState['status'] | 'lagging' | 'heartbeat';
  reason: string | null;
  error_class: StreamState['errorClass'];
  attempt: number;
  lag_ms?: number;
  next_attempt_at?: string;
  /** Records dropped because the Kafka buffer was full (stream `kafka` only), since the last report. */
  overflowed_records?: number;
  /** Bounds of a stream gap (RFC3339) that could not be filled or recovered. */
  gap_from?: string;
  gap_to?: string;
  /** Wanted symbols Alpaca's acks left out (reason alpaca_subscription_incomplete), and a bounded list per channel. */
  missing_count?: number;
  missing_symbols?: Record<string, string[]>;
  /** Freshness (`alpaca_channel_stale` / `alpaca_symbols_stale`, and the `healthy` after them). */
  stale_channels?: string[];
  /** The first stale (channel, symbol) pairs as `channel:SYMBOL` (bounded; counts are complete). */
  stale_symbols?: string[];
  stale_symbol_counts?: Record<string, number>;
  /** trade_updates gaps: fills of the window read from REST (account activities) and handed to dedup. */
  fills_fetched?: number;
  /** trade_updates gaps: why fills could not all be recovered (REST reason), when they could not. */
  fills_error?: string;
  /** Heartbeats: the stream's connection state (`idle`: no connection yet or not held). */
  connection?: StreamState['status'] | 'idle';
  /** Heartbeats: receipt time of the newest event read off the stream's socket, null if none yet. */
  last_event_at?: string | null;
  /** Heartbeats: events read off the stream's socket since the previous heartbeat. */
  events?: number;
  interval_ms?: number;
  ts: string;
  feed: string;
}

export function statusEvent(state: StreamState, feed: string, lagMs?: number): StatusEvent {
  const event: StatusEvent = {
    stream: state.stream,
    status: state.status,
    reason: state.reason,
    error_class: state.errorClass,
    attempt: state.attempt,
    ts: new Date(state.atMs).toISOString(),
    feed,
  };
  if (lagMs !== undefined) event.lag_ms = lagMs;
  if (state.nextAttemptAtMs !== undefined)
    event.next_attempt_at = new Date(state.nextAttemptAtMs).toISOString();
  return event;
}

/**
 * The market-data stream fell behind (lag = now − Alpaca event time at or above the threshold:
 * `lagging`, reason `alpaca_ws_lagging`) or caught up again (`healthy`, reason null). The
 * connection is kept either way.
 */
export function lagEvent(lagging: boolean, lagMs: number, atMs: number, feed: string): StatusEvent {
  return {
    stream: 'market_data',
    status: lagging ? 'lagging' : 'healthy',
    reason: lagging ? 'alpaca_ws_lagging' : null,
    error_class: null,
    attempt: 0,
    lag_ms: Math.round(lagMs),
    ts: new Date(atMs).toISOString(),
    feed,
  };
}

/** Reported once Kafka takes records again: how many were lost to the bounded buffer meanwhile. */
export function overflowEvent(
  overflowed: number,
  errorClass: StreamState['errorClass'],
  atMs: number,
  feed: string,
): StatusEvent {
  return {
    stream: 'kafka',
    status: 'degraded',
    reason: 'kafka_buffer_overflow',
    error_class: errorClass,
    attempt: 0,
    overflowed_records: overflowed,
    ts: new Date(atMs).toISOString(),
    feed,
  };
}

/** A gap in a stream whose events may be missing (not filled or not recoverable): degraded. */
export function gapEvent(
  stream: StreamState['stream'],
  reason: string,
  errorClass: StreamState['errorClass'],
  gap: StreamGap,
  atMs: number,
  feed: string,
): StatusEvent {
  return {
    stream,
    status: 'degraded',
    reason,
    error_class: errorClass,
    attempt: 0,
    gap_from: new Date(gap.fromMs).toISOString(),
    gap_to: new Date(gap.toMs).toISOString(),
    ts: new Date(atMs).toISOString(),
    feed,
  };
}

/**
 * The stale set of the market-data stream changed (forwarder/app/freshness.ts): `degraded` with
 * reason `alpaca_channel_stale` (a whole channel silent) or `alpaca_symbols_stale` and the set,
 * or `healthy` (reason null, empty set) once nothing is stale. The connection is kept unless a
 * whole channel is silent (then a reconnect follows, reported as its own event).
 */
export function freshnessEvent(
  report: Pick<FreshnessReport, 'atMs' | 'staleChannels' | 'staleSymbols' | 'staleCounts'>,
  feed: string,
): StatusEvent {
  const stale = report.staleChannels.length > 0 || report.staleSymbols.length > 0;
  return {
    stream: 'market_data',
    status: stale ? 'degraded' : 'healthy',
    reason: !stale ? null : report.staleChannels.length > 0 ? 'alpaca_channel_stale' : 'alpaca_symbols_stale',
    error_class: null,
    attempt: 0,
    stale_channels: [...report.staleChannels],
    stale_symbols: report.staleSymbols.map((s) => `${s.channel}:${s.symbol}`),
    stale_symbol_counts: { ...report.staleCounts },
    ts: new Date(report.atMs).toISOString(),
    feed,
  };
}

/** The periodic liveness event of one stream (forwarder/status/heartbeat.ts). */
export function heartbeatEvent(
  stream: StreamState['stream'],
  state: StreamState | null,
  lastEventAtMs: number | null,
  events: number,
  intervalMs: number,
  atMs: number,
  feed: string,
): StatusEvent {
  return {
    stream,
    status: 'heartbeat',
    reason: null,
    error_class: state?.errorClass ?? null,
    attempt: state?.attempt ?? 0,
    connection: state?.status ?? 'idle',
    last_event_at: lastEventAtMs === null ? null : new Date(lastEventAtMs).toISOString(),
    events,
    interval_ms: intervalMs,
    ts: new Date(atMs).toISOString(),
    feed,
  };
}

export function statusEnvelope(event: StatusEvent, seq: number, ingestMicros: number): Envelope {
  return {
    schema_version: 1,
    ingest_ts: formatMicros(ingestMicros),
    event_ts: event.ts,
    feed: event.feed,
    channel: 'status',
    symbol: event.stream,
    seq,
    payload: { ...event },
    is_final: true,
    source: 'ws',
    window: null,
    dedup_key: `status:${event.stream}:${seq}`,
  };
}
