/**
 * Metric label values that come from outside (Alpaca message types, error and close codes) are
 * mapped onto a bounded set: known values pass, anything else is `other` (or `<prefix>_other`).
 * A hostile or buggy upstream can then never grow the number of series (issue 15: 10,000
 * distinct `T` values cost 76 MB of RSS; 60 of 1 MB made /metrics 60 MB). Pure.
 */

export const OTHER = 'other';

/** Message types Alpaca documents on the market-data streams (stocks, crypto, options, news). */
export const MARKET_DATA_TYPES: ReadonlySet<string> = new Set([
  't',
  'q',
  'b',
  'u',
  'd',
  's',
  'l',
  'c',
  'x',
  'i',
  'o',
  'n',
  'success',
  'error',
  'subscription',
]);

/** `stream` values of the trading stream. */
export const TRADE_STREAM_TYPES: ReadonlySet<string> = new Set([
  'authorization',
  'listening',
  'trade_updates',
]);

/** The `type` label of alpaca_forwarder_unknown_messages_total. */
export function messageTypeLabel(stream: string, type: string | null | undefined): string {
  if (type === null || type === undefined) return 'none';
  const known = stream === 'trade_updates' ? TRADE_STREAM_TYPES : MARKET_DATA_TYPES;
  return known.has(type) ? type : OTHER;
}

/** Codes embedded in reasons that are documented (Alpaca error frames, WebSocket close, HTTP). */
const KNOWN_CODES: Readonly<Record<string, ReadonlySet<string>>> = {
  alpaca_error: new Set([
    '400',
    '401',
    '402',
    '403',
    '404',
    '405',
    '406',
    '407',
    '408',
    '409',
    '410',
    '411',
    '412',
    '413',
    '500',
  ]),
  alpaca_ws_closed: new Set([
    '1000',
    '1001',
    '1002',
    '1003',
    '1005',
    '1006',
    '1007',
    '1008',
    '1009',
    '1010',
    '1011',
    '1012',
    '1013',
    '1014',
    '1015',
  ]),
  alpaca_http: new Set(['400', '401', '403', '404', '406', '409', '429', '500', '502', '503', '504']),
  alpaca_rest: new Set(['400', '401', '403', '404', '422', '429', '500', '502', '503', '504']),
};
const CODED = /^(alpaca_error|alpaca_ws_closed|alpaca_http|alpaca_rest)_(\d+|invalid|unknown|network)$/;
const REASON = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * A `reason` label: the forwarder's own stable reasons pass; a reason carrying an upstream code
 * keeps the code only when it is a documented one (else `<prefix>_other`); anything that is not
 * a short snake_case code is `other`.
 */
export function reasonLabel(reason: string | null | undefined): string {
  if (reason === null || reason === undefined) return 'unknown';
  const m = CODED.exec(reason);
  if (m !== null) {
    const prefix = m[1] as string;
    const code = m[2] as string;
    if (!/^\d+$/.test(code)) return reason;
    return KNOWN_CODES[prefix]?.has(code) === true ? reason : `${prefix}_other`;
  }
  return REASON.test(reason) ? reason : OTHER;
}

/** An upstream value for a log line: at most `max` characters, marked when cut. */
export function truncateForLog(value: unknown, max = 64): string | null {
  if (value === null || value === undefined) return null;
  const s = typeof value === 'string' ? value : String(value);
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} chars)`;
}
