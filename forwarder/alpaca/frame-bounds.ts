/**
 * Largest WebSocket message each Alpaca stream may send (socket.ts maxPayloadBytes); a larger one
 * is a protocol error: the socket closes with 1009, the stream reconnects, and the reconnect is
 * counted as `reconnects_total{reason="alpaca_frame_too_large"}`. Derivation: docs/forwarder.md
 * "Field bounds". Without a bound ws accepts messages up to 100 MiB (issue 15: peak RSS 612-672 MB
 * under fuzz, pod limit 512 Mi).
 */
import type { SocketFactory } from './socket.ts';

/**
 * Market data: the largest real frame is the subscription ack, which lists every subscribed
 * symbol per channel (9 lists); at the symbol bound (32 + 3 bytes of JSON/msgpack framing) and
 * the whole US equity universe (~12,000 symbols) that is 9 x 12,000 x 35 = 3.8 MB. Data frames
 * are batches of messages of at most ~1 KiB each (every field bounded). 4 MiB covers both.
 */
export const MAX_MARKET_DATA_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * Trading stream: one update per frame, an order with its legs; at every field's bound a
 * multi-leg update is < 64 KiB. 1 MiB leaves 16x headroom.
 */
export const MAX_TRADE_UPDATES_FRAME_BYTES = 1024 * 1024;

/** A socket factory that opens every socket with this message bound. */
export function withMaxPayload(factory: SocketFactory, maxPayloadBytes: number): SocketFactory {
  return (url, options, events) => factory(url, { ...options, maxPayloadBytes }, events);
}
