/**
 * Field sizes Alpaca defines, checked before any other work on a message (pure, O(bounded)):
 * a message that violates one is dropped and counted with a bounded reason. The walk stops at
 * the first violation and never visits more than a fixed number of values, so a hostile message
 * costs the same small time whatever its size. Bounds and their sources: docs/forwarder.md
 * "Field bounds". Why it matters: the Kafka key is the symbol, and kafkajs 2.2.4's murmur2
 * partitioner is quadratic in the key's length (BigInt products never wrapped to 64 bits): a
 * 262,144-character symbol stalled the event loop 7-8.5 s.
 */

export const FIELD_BOUNDS = {
  /** `T`: the longest documented type is `subscription` (12). */
  typeChars: 16,
  /** `S` / order `symbol`: equities <= ~10, crypto pairs <= ~12, OCC option symbols 21. */
  symbolChars: 32,
  /** Exchange, tape, status/action/indicator codes: documented as 1-4 characters. */
  codeChars: 8,
  /** `t` and other timestamps: RFC 3339 with nanoseconds and an offset is 35 characters. */
  timestampChars: 40,
  /** Condition lists (`c`, `oc`, `cc`): up to 4 sale-condition codes per trade on the tapes. */
  conditions: 16,
  /** Ids as strings (trade-update order/execution/event ids are UUIDs, 36). */
  idChars: 64,
  /** `client_order_id`: Alpaca accepts at most 128 characters. */
  clientOrderIdChars: 128,
  /** Any other string (e.g. status/reason messages `sm`/`rm`). */
  textChars: 256,
  /** Keys per object and characters per key. */
  keys: 64,
  keyChars: 32,
  /** Nesting below the message (a trade update: data → order → legs → leg → …). */
  depth: 5,
  /** Values visited per message before it is judged too large. */
  values: 2_000,
} as const;

const B = FIELD_BOUNDS;

/** Per-key string bounds of market-data messages (stocks; REST items use the same keys). */
const MARKET_STRING_BOUNDS: Readonly<Record<string, number>> = {
  T: B.typeChars,
  S: B.symbolChars,
  x: B.codeChars,
  bx: B.codeChars,
  ax: B.codeChars,
  z: B.codeChars,
  a: B.codeChars,
  sc: B.codeChars,
  rc: B.codeChars,
  i: B.idChars,
  t: B.timestampChars,
  r: B.timestampChars,
};
const CONDITION_KEYS = new Set(['c', 'oc', 'cc']);

/** Per-key string bounds inside trade updates (any depth). */
const TRADE_STRING_BOUNDS: Readonly<Record<string, number>> = {
  symbol: B.symbolChars,
  event: B.keyChars,
  id: B.idChars,
  order_id: B.idChars,
  execution_id: B.idChars,
  event_id: B.idChars,
  asset_id: B.idChars,
  replaced_by: B.idChars,
  replaces: B.idChars,
  client_order_id: B.clientOrderIdChars,
};

type Budget = { left: number };

/** Generic walk: strings by key bound (else text), keys, nesting and value count. */
function walk(
  value: unknown,
  key: string,
  depth: number,
  budget: Budget,
  bounds: Readonly<Record<string, number>>,
): string | null {
  if (--budget.left < 0) return 'too_many_values';
  if (typeof value === 'string') {
    const max = bounds[key] ?? B.textChars;
    if (value.length <= max) return null;
    return max === B.symbolChars && (key === 'S' || key === 'symbol')
      ? 'oversized_symbol'
      : 'oversized_field';
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= B.depth) return 'too_deeply_nested';
  if (Array.isArray(value)) {
    if (value.length > B.values) return 'too_many_values';
    for (const v of value) {
      const bad = walk(v, key, depth + 1, budget, bounds);
      if (bad !== null) return bad;
    }
    return null;
  }
  let keys = 0;
  for (const k in value) {
    if (++keys > B.keys) return 'too_many_keys';
    if (k.length > B.keyChars) return 'oversized_key';
    const bad = walk((value as Record<string, unknown>)[k], k, depth + 1, budget, bounds);
    if (bad !== null) return bad;
  }
  return null;
}

/**
 * A market-data data message (or a REST item with `T`/`S` added): null when every field is
 * within its bound, else a stable reason (`oversized_symbol`, `oversized_field`,
 * `oversized_conditions`, `too_many_keys`, `oversized_key`, `too_deeply_nested`, `too_many_values`).
 */
export function checkMarketDataBounds(msg: Record<string, unknown>): string | null {
  const budget: Budget = { left: B.values };
  let keys = 0;
  for (const k in msg) {
    if (++keys > B.keys) return 'too_many_keys';
    if (k.length > B.keyChars) return 'oversized_key';
    const v = msg[k];
    if (CONDITION_KEYS.has(k) && (typeof v === 'string' || Array.isArray(v))) {
      if (typeof v === 'string') {
        if (v.length > B.codeChars) return 'oversized_conditions';
        continue;
      }
      if (v.length > B.conditions) return 'oversized_conditions';
      for (const c of v) if (typeof c === 'string' && c.length > B.codeChars) return 'oversized_conditions';
    }
    const bad = walk(v, k, 1, budget, MARKET_STRING_BOUNDS);
    if (bad !== null) return bad;
  }
  return null;
}

/** A trade update's `data` object: the same walk with the trading API's id bounds. */
export function checkTradeUpdateBounds(data: Record<string, unknown>): string | null {
  return walk(data, '', 0, { left: B.values }, TRADE_STRING_BOUNDS);
}

/** The `T` or `stream` value of a message: a bounded string or a reason. */
export function checkTypeBound(type: string): string | null {
  return type.length > B.keyChars ? 'oversized_type' : null;
}
