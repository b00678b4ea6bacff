/**
 * The boundary between the Alpaca side of the forwarder (connection, protocol, REST) and the
 * pipeline (dedup, seq, envelope, Kafka). The Alpaca side only decodes and reports; it never
 * touches Kafka. Everything here is data: no I/O.
 */
import type { ErrorClass } from '../../contracts/readiness.ts';

/** Envelope channel names (design §3.3). `status` is the forwarder's own status topic. */
export type EventChannel = 'trades' | 'quotes' | 'bars' | 'updated_bars' | 'statuses' | 'trade_updates';

/** One Alpaca message, decoded from JSON or msgpack to plain JSON values. */
export interface AlpacaEvent {
  channel: EventChannel;
  /** Upper-case symbol (`S`); for trade_updates the order's symbol. */
  symbol: string;
  /** The message as received, decoded to JSON (msgpack timestamps as RFC3339 strings with nanoseconds). */
  payload: Record<string, unknown>;
  /** Alpaca's `t` as sent (RFC3339, nanoseconds), or null when the message has none. */
  eventTs: string | null;
  /** Wall-clock ms when the frame was read off the socket or the REST page was received. */
  receivedAtMs: number;
  source: 'ws' | 'rest';
}

/** The subscription the forwarder wants; the stream sends the diff against what it has. */
export interface SubscriptionSet {
  trades: readonly string[];
  quotes: readonly string[];
  bars: readonly string[];
  updatedBars: readonly string[];
  statuses: readonly string[];
}

export type StreamName = 'market_data' | 'trade_updates';

/** Connection state changes; each becomes a status-topic event (design §3.4) and feeds /readyz. */
export interface StreamState {
  stream: StreamName;
  status: 'connecting' | 'healthy' | 'reconnect' | 'error' | 'degraded';
  /** Stable snake_case code, e.g. alpaca_406_connection_limit, alpaca_stream_stale; null when healthy. */
  reason: string | null;
  errorClass: ErrorClass | null;
  /** Reconnect attempt number since the last healthy period (0 when healthy). */
  attempt: number;
  /** When the next connection attempt is due, for reconnect/error states. */
  nextAttemptAtMs?: number;
  atMs: number;
}

/** A gap in the WebSocket stream (from the last data before a drop to the first after reconnect). */
export interface StreamGap {
  fromMs: number;
  toMs: number;
}
