/**
 * One decoded market-data message → what the stream does with it (pure). Every `T` is either
 * mapped to an AlpacaEvent, a control message, counted as not forwarded (with a reason), counted
 * as unknown, or reported as malformed (with a reason). Nothing is dropped without a result.
 */
import { checkMarketDataBounds, checkTypeBound } from './field-bounds.ts';
import type { AlpacaEvent, EventChannel } from './types.ts';

export type ControlMessage =
  | { T: 'success'; msg: string }
  | { T: 'error'; code: number; msg: string }
  | { T: 'subscription'; body: Record<string, unknown> };

export type DecodedMessage =
  | { kind: 'event'; event: AlpacaEvent }
  | { kind: 'control'; control: ControlMessage }
  | { kind: 'not_forwarded'; type: string; reason: string }
  | { kind: 'unknown'; type: string }
  | { kind: 'malformed'; type: string | null; reason: string };

export interface MessageDecodeOptions {
  receivedAtMs: number;
  /** Forward daily bars (`d`) on the bars channel; default off (they are counted). */
  forwardDailyBars?: boolean;
}

/**
 * Data types and their envelope channel. Corrections (`c`) and cancel/errors (`x`) ride on the
 * trades channel (Alpaca sends them for every trades subscription); LULD bands (`l`) on statuses.
 * Consumers tell them apart by `payload.T`.
 */
const DATA_CHANNELS: Readonly<Record<string, EventChannel>> = {
  t: 'trades',
  q: 'quotes',
  b: 'bars',
  u: 'updated_bars',
  s: 'statuses',
  c: 'trades',
  x: 'trades',
  l: 'statuses',
};

/** The envelope channel a market-data message type belongs to (daily bars: bars), or null. */
export function channelOfType(type: string | null): EventChannel | null {
  if (type === 'd') return 'bars';
  return (type !== null && DATA_CHANNELS[type]) || null;
}

const BAR_TYPES = new Set(['b', 'u', 'd']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkData(type: string, msg: Record<string, unknown>): string | null {
  if (typeof msg.S !== 'string' || msg.S.trim() === '') return 'missing_symbol';
  if (typeof msg.t !== 'string') return 'missing_timestamp';
  if (!RFC3339.test(msg.t)) return 'invalid_timestamp';
  if (BAR_TYPES.has(type)) {
    for (const k of ['o', 'h', 'l', 'c', 'v'])
      if (typeof msg[k] !== 'number') return `invalid_bar_field_${k}`;
  }
  if (type === 't' && typeof msg.p !== 'number') return 'invalid_trade_price';
  return null;
}

function decodeControl(type: string, msg: Record<string, unknown>): DecodedMessage {
  if (type === 'success') {
    if (typeof msg.msg !== 'string') return { kind: 'malformed', type, reason: 'success_without_msg' };
    return { kind: 'control', control: { T: 'success', msg: msg.msg } };
  }
  if (type === 'error') {
    if (typeof msg.code !== 'number') return { kind: 'malformed', type, reason: 'error_without_code' };
    return {
      kind: 'control',
      control: { T: 'error', code: msg.code, msg: typeof msg.msg === 'string' ? msg.msg : '' },
    };
  }
  return { kind: 'control', control: { T: 'subscription', body: msg } };
}

export function decodeMessage(raw: unknown, options: MessageDecodeOptions): DecodedMessage {
  if (!isRecord(raw)) return { kind: 'malformed', type: null, reason: 'not_an_object' };
  const type = raw.T;
  if (typeof type !== 'string') return { kind: 'malformed', type: null, reason: 'missing_type' };
  const oversizedType = checkTypeBound(type);
  if (oversizedType !== null) return { kind: 'malformed', type: null, reason: oversizedType };
  if (type === 'success' || type === 'error' || type === 'subscription') return decodeControl(type, raw);

  let channel = DATA_CHANNELS[type];
  if (type === 'd') {
    if (!options.forwardDailyBars) return { kind: 'not_forwarded', type, reason: 'daily_bar' };
    channel = 'bars';
  }
  if (type === 'i') return { kind: 'not_forwarded', type, reason: 'imbalance' };
  if (channel === undefined) return { kind: 'unknown', type };
  // Field sizes before any other work on a data message (field-bounds.ts).
  const oversized = checkMarketDataBounds(raw);
  if (oversized !== null) return { kind: 'malformed', type, reason: oversized };

  const problem = checkData(type, raw);
  if (problem !== null) return { kind: 'malformed', type, reason: problem };
  const symbol = (raw.S as string).trim().toUpperCase();
  return {
    kind: 'event',
    event: {
      channel,
      symbol,
      payload: raw,
      eventTs: raw.t as string,
      receivedAtMs: options.receivedAtMs,
      source: 'ws',
    },
  };
}
