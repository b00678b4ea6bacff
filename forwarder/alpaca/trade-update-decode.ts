/**
 * One trading-stream message → what the trade-updates stream does with it (pure). Messages are
 * bare objects `{stream, data}`; decimals (price, qty, position_qty) are strings and stay strings.
 * Alpaca's error frame has no `stream`: `{"action":"error","data":{"error_message":"..."}}`, sent
 * just before it closes the socket.
 */
import { checkTradeUpdateBounds, checkTypeBound } from './field-bounds.ts';
import { toUtcRfc3339 } from './timestamp.ts';
import type { AlpacaEvent } from './types.ts';

export type TradeStreamMessage =
  | { kind: 'authorization'; authorized: boolean; action: string | null }
  | { kind: 'listening'; streams: string[] }
  | { kind: 'error'; message: string }
  | { kind: 'event'; event: AlpacaEvent; symbolMissing: boolean }
  | { kind: 'unknown'; type: string }
  | { kind: 'malformed'; type: string | null; reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The update's time in UTC: `timestamp` (fills, cancels...), else `at`, else the order's
 * `updated_at`/`submitted_at`/`created_at` (order timestamps may carry a local offset such as
 * `-04:00`: converted to `Z`, nanoseconds kept), else the time the frame was received.
 */
function eventTimeOf(
  data: Record<string, unknown>,
  order: Record<string, unknown>,
  receivedAtMs: number,
): string {
  for (const v of [data.timestamp, data.at, order.updated_at, order.submitted_at, order.created_at]) {
    if (typeof v !== 'string') continue;
    const utc = toUtcRfc3339(v);
    if (utc !== null) return utc;
  }
  return new Date(receivedAtMs).toISOString();
}

export function decodeTradeStreamMessage(raw: unknown, receivedAtMs: number): TradeStreamMessage {
  if (!isRecord(raw)) return { kind: 'malformed', type: null, reason: 'not_an_object' };
  if (raw.action === 'error' && raw.stream === undefined) {
    const data = isRecord(raw.data) ? raw.data : {};
    const text = data.error_message ?? data.error ?? data.message;
    return { kind: 'error', message: typeof text === 'string' ? text : '' };
  }
  const stream = raw.stream;
  if (typeof stream !== 'string') return { kind: 'malformed', type: null, reason: 'missing_stream' };
  const oversizedType = checkTypeBound(stream);
  if (oversizedType !== null) return { kind: 'malformed', type: null, reason: oversizedType };
  const data = raw.data;
  if (!isRecord(data)) return { kind: 'malformed', type: stream, reason: 'missing_data' };
  if (stream === 'authorization') {
    return {
      kind: 'authorization',
      authorized: data.status === 'authorized',
      action: typeof data.action === 'string' ? data.action : null,
    };
  }
  if (stream === 'listening') {
    const streams = Array.isArray(data.streams)
      ? data.streams.filter((s): s is string => typeof s === 'string')
      : [];
    return { kind: 'listening', streams };
  }
  if (stream !== 'trade_updates') return { kind: 'unknown', type: stream };
  // Field sizes before any other work on an update (field-bounds.ts).
  const oversized = checkTradeUpdateBounds(data);
  if (oversized !== null) return { kind: 'malformed', type: stream, reason: oversized };
  if (typeof data.event !== 'string') return { kind: 'malformed', type: stream, reason: 'missing_event' };
  const order = isRecord(data.order) ? data.order : null;
  if (order === null) return { kind: 'malformed', type: stream, reason: 'missing_order' };
  const rawSymbol = typeof order.symbol === 'string' ? order.symbol.trim().toUpperCase() : '';
  const eventTs = eventTimeOf(data, order, receivedAtMs);
  return {
    kind: 'event',
    symbolMissing: rawSymbol === '',
    event: {
      channel: 'trade_updates',
      symbol: rawSymbol === '' ? 'UNKNOWN' : rawSymbol,
      payload: data,
      eventTs,
      receivedAtMs,
      source: 'ws',
    },
  };
}
