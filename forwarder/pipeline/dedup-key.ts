/**
 * Dedup keys (design §4.3). A key identifies one distinct event exactly: two events share a key
 * only when they are the same event replayed (reconnect overlap, REST/WS overlap). Pure.
 */
import { createHash } from 'node:crypto';
import type { AlpacaEvent } from '../alpaca/types.ts';

/** Stable JSON: object keys sorted, so equal values hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function hash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}

function pick(payload: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = payload[f] ?? null;
  return out;
}

const QUOTE_FIELDS = ['bx', 'bp', 'bs', 'ax', 'ap', 'as', 'c', 'z'] as const;
const OHLCV = ['o', 'h', 'l', 'c', 'v'] as const;

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

function nested(payload: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = payload[key];
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/**
 * One spelling per instant, so the same bar from msgpack over WS (`…:00.000000000Z`) and JSON
 * over REST (`…:00Z`) gets the same key: fraction without trailing zeros, `+00:00` as `Z`.
 */
export function canonicalTs(t: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]00:00)$/i.exec(t);
  if (!m) return t;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}${frac ? `.${frac}` : ''}Z`;
}

export function dedupKey(event: AlpacaEvent): string {
  const p = event.payload;
  const t = canonicalTs(event.eventTs ?? str(p.t));
  switch (event.channel) {
    case 'trades':
      // Trade ids are per venue and symbol, not global: the symbol and exchange are part of the key.
      // The message type is too: a cancel/error (`x`) carries the id of the trade it cancels and
      // must not be dropped as a replay of that trade.
      return p.i !== undefined && p.i !== null
        ? `trades:${str(p.T ?? 't')}:${event.symbol}:${str(p.x)}:${str(p.i)}`
        : `trades:${event.symbol}:${t}:${hash(p)}`;
    case 'quotes':
      return `quotes:${event.symbol}:${t}:${hash(pick(p, QUOTE_FIELDS))}`;
    case 'bars':
    case 'updated_bars':
      // Corrections (different OHLCV for the same minute) get distinct keys and are never dropped.
      return `${event.channel}:${event.symbol}:${t}:${hash(pick(p, OHLCV))}`;
    case 'statuses':
      return `statuses:${event.symbol}:${t}:${hash(p)}`;
    case 'trade_updates': {
      const order = nested(p, 'order');
      const orderId = str(order.id) || str(order.client_order_id);
      const which = str(p.execution_id) || str(p.timestamp) || t;
      return orderId
        ? `trade_updates:${orderId}:${str(p.event)}:${which}`
        : `trade_updates:${event.symbol}:${str(p.event)}:${hash(p)}`;
    }
  }
}
