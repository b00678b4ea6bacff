/**
 * Dedup keys (design §4.3). A key identifies one distinct event exactly: two events share a key
 * only when they are the same event replayed (reconnect overlap, REST/WS overlap). Pure.
 *
 * Quotes and bars carry their compared fields in the key itself, as a JSON array of the field
 * values in a fixed order (`fieldValues`): equal keys iff the fields are equal, with no hash and
 * no collision. Events whose compared fields are the whole payload (statuses, trades without an
 * id, trade updates without an order id) keep a hash of the canonical payload, which bounds the
 * key's length.
 */
import { createHash } from 'node:crypto';
import { canonicalDecimal } from '../alpaca/fill-activities.ts';
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

/** One field value as canonical JSON (a missing field as null), fast for numbers and strings. */
function jsonValue(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  return canonicalJson(v ?? null);
}

/**
 * The values of `fields` as a JSON array, e.g. `["V",189.5,3,"Q",189.51,2,["R"],"C"]`. JSON
 * values are self-delimiting, so two arrays are equal iff every value is: exactly the equality
 * the sha256 of the canonical `{field: value}` object gave before, without the hash.
 */
export function fieldValues(payload: Record<string, unknown>, fields: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < fields.length; i += 1) {
    if (i > 0) out += ',';
    out += jsonValue(payload[fields[i] as string]);
  }
  return `${out}]`;
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
  // Already canonical (what the msgpack decoder and Alpaca's JSON send): `Z` and no trailing zero
  // in a fraction. The regex below would return it unchanged.
  const n = t.length;
  if (n >= 20 && t.charCodeAt(n - 1) === 90 && (t.charCodeAt(n - 2) !== 48 || t.charCodeAt(19) !== 46))
    return t;
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
      return `quotes:${event.symbol}:${t}:${fieldValues(p, QUOTE_FIELDS)}`;
    case 'bars':
    case 'updated_bars':
      // Corrections (different OHLCV for the same minute) get distinct keys and are never dropped.
      return `${event.channel}:${event.symbol}:${t}:${fieldValues(p, OHLCV)}`;
    case 'statuses':
      return `statuses:${event.symbol}:${t}:${hash(p)}`;
    case 'trade_updates': {
      const order = nested(p, 'order');
      const orderId = str(order.id) || str(order.client_order_id);
      const update = str(p.event);
      // A fill is named by its order and the order's filled quantity after it (strictly rising
      // fill by fill), which the stream's copy (`order.filled_qty`) and the REST activity
      // (`cum_qty`) both carry: the two copies of one fill share the key (fill-activities.ts).
      if (
        str(order.id) !== '' &&
        (update === 'fill' || update === 'partial_fill') &&
        typeof order.filled_qty === 'string'
      )
        return `trade_updates:${str(order.id)}:${update}:filled:${canonicalDecimal(order.filled_qty)}`;
      const which = str(p.execution_id) || str(p.timestamp) || t;
      return orderId
        ? `trade_updates:${orderId}:${str(p.event)}:${which}`
        : `trade_updates:${event.symbol}:${str(p.event)}:${hash(p)}`;
    }
  }
}
