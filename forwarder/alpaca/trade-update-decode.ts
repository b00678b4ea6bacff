/**
 * One trading-stream message → what the trade-updates stream does with it (pure). Messages are
 * bare objects `{stream, data}`; decimals (price, qty, position_qty) are strings and stay strings.
 */
import { checkTradeUpdateBounds, checkTypeBound } from './field-bounds.ts';
import type { AlpacaEvent } from './types.ts';

export type TradeStreamMessage =
  | { kind: 'authorization'; authorized: boolean; action: string | null }
  | { kind: 'listening'; streams: string[] }
  | { kind: 'event'; event: AlpacaEvent; symbolMissing: boolean }
  | { kind: 'unknown'; type: string }
  | { kind: 'malformed'; type: string | null; reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function decodeTradeStreamMessage(raw: unknown, receivedAtMs: number): TradeStreamMessage {
  if (!isRecord(raw)) return { kind: 'malformed', type: null, reason: 'not_an_object' };
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
  const eventTs =
    typeof data.timestamp === 'string'
      ? data.timestamp
      : typeof data.at === 'string'
        ? data.at
        : typeof order.updated_at === 'string'
          ? order.updated_at
          : null;
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
