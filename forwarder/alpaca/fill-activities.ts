/**
 * Fills over the trading REST API, for trade-updates gaps: `GET {trading}/v2/account/activities`
 * with `activity_types=FILL`, `direction=asc`, `after`/`until` = the window, `page_size=100`
 * (Alpaca's maximum without `date`) and `page_token` = the id of the last activity of the previous
 * page. The answer is a bare JSON array; a page shorter than `page_size` is the last.
 *
 * Each fill activity becomes the trade update the stream would have sent for it (pure mapping,
 * docs/alpaca-protocol.md "Account activities"), with `source: 'rest'`. Its dedup key is the one
 * the stream's copy gets (order id, event, cumulative filled quantity: pipeline/dedup-key.ts), so a
 * fill seen on both paths is published once.
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../lib/time/clock.ts';
import { type BackoffConfig, DEFAULT_BACKOFF } from './backoff.ts';
import { checkTradeUpdateBounds } from './field-bounds.ts';
import { AlpacaRestError, createRestGet, type FetchLike, MAX_PAGE_BYTES } from './rest-client.ts';
import { type AlpacaCredentials, alpacaRestHeaders } from './secrets.ts';
import { toUtcRfc3339 } from './timestamp.ts';
import type { AlpacaEvent } from './types.ts';

/** Alpaca's page_size maximum when `date` is not given. */
export const ACTIVITIES_PAGE_SIZE = 100;
/** A gap's fills beyond this many pages (10,000 fills) are not fetched: the gap is reported. */
export const MAX_ACTIVITY_PAGES = 100;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A decimal string in one spelling (no trailing fraction zeros, no leading zeros), so "10",
 * "10.0" and "010.00" compare equal in dedup keys. Anything else is returned as it is. Pure.
 */
export function canonicalDecimal(v: string): string {
  if (!DECIMAL.test(v)) return v;
  const negative = v.startsWith('-');
  const [int = '0', frac = ''] = (negative ? v.slice(1) : v).split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  const f = frac.replace(/0+$/, '');
  const out = f === '' ? i : `${i}.${f}`;
  return negative && out !== '0' ? `-${out}` : out;
}

/** Sum of two non-negative decimal strings, exactly (BigInt), or null when either is not one. */
export function addDecimals(a: string, b: string): string | null {
  if (!/^\d+(\.\d+)?$/.test(a) || !/^\d+(\.\d+)?$/.test(b)) return null;
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const toInt = (s: string): bigint => {
    const [i = '0', f = ''] = s.split('.');
    return BigInt(i + f.padEnd(scale, '0'));
  };
  const sum = (toInt(a) + toInt(b)).toString().padStart(scale + 1, '0');
  const out = scale === 0 ? sum : `${sum.slice(0, -scale)}.${sum.slice(-scale)}`;
  return canonicalDecimal(out);
}

export type ActivityDecode =
  | { ok: true; event: AlpacaEvent; id: string }
  | { ok: false; id: string | null; reason: string };

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * One FILL activity → the trade update the stream sends for that fill (pure). Fields:
 * `type` → `event` (fill / partial_fill), `transaction_time` → `timestamp` (UTC), `price`, `qty`
 * as they are, `id` → `activity_id`; the order: `order_id` → `order.id`, `symbol`, `side`,
 * `cum_qty` → `order.filled_qty`, `order_status` → `order.status`, `cum_qty + leaves_qty` →
 * `order.qty`. What an activity does not carry (execution_id, position_qty, the order's other
 * fields) is absent.
 */
export function activityToTradeUpdate(raw: unknown, receivedAtMs: number): ActivityDecode {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, id: null, reason: 'activity_not_an_object' };
  const a = raw as Record<string, unknown>;
  const id = str(a.id);
  if (id === null) return { ok: false, id: null, reason: 'activity_missing_id' };
  const oversized = checkTradeUpdateBounds(a);
  if (oversized !== null) return { ok: false, id: null, reason: `activity_${oversized}` };
  if (a.activity_type !== undefined && a.activity_type !== 'FILL')
    return { ok: false, id, reason: 'activity_not_a_fill' };
  const type = a.type;
  if (type !== 'fill' && type !== 'partial_fill') return { ok: false, id, reason: 'activity_bad_type' };
  const orderId = str(a.order_id);
  if (orderId === null) return { ok: false, id, reason: 'activity_missing_order_id' };
  const symbol = str(a.symbol)?.trim().toUpperCase() ?? '';
  if (symbol === '') return { ok: false, id, reason: 'activity_missing_symbol' };
  const ts = typeof a.transaction_time === 'string' ? toUtcRfc3339(a.transaction_time) : null;
  if (ts === null) return { ok: false, id, reason: 'activity_bad_transaction_time' };
  for (const k of ['price', 'qty', 'cum_qty'] as const) {
    const v = a[k];
    if (typeof v !== 'string' || !DECIMAL.test(v)) return { ok: false, id, reason: `activity_bad_${k}` };
  }
  const cumQty = a.cum_qty as string;
  const order: Record<string, unknown> = { id: orderId, symbol, filled_qty: cumQty };
  if (typeof a.side === 'string') order.side = a.side;
  if (typeof a.order_status === 'string') order.status = a.order_status;
  const total = typeof a.leaves_qty === 'string' ? addDecimals(cumQty, a.leaves_qty) : null;
  if (total !== null) order.qty = total;
  const payload: Record<string, unknown> = {
    event: type,
    timestamp: ts,
    price: a.price,
    qty: a.qty,
    activity_id: id,
    order,
  };
  return {
    ok: true,
    id,
    event: { channel: 'trade_updates', symbol, payload, eventTs: ts, receivedAtMs, source: 'rest' },
  };
}

export interface FillWindow {
  /** Exclusive lower bound (Alpaca's `after`), ms. */
  afterMs: number;
  /** Upper bound (Alpaca's `until`), ms. */
  untilMs: number;
}

export interface FillsResult {
  events: AlpacaEvent[];
  /** Activities that could not be mapped (each a fill that is not recovered), by reason. */
  dropped: { id: string | null; reason: string }[];
  pages: number;
}

export interface FillActivitiesConfig {
  /** Trading REST base, e.g. https://paper-api.alpaca.markets (no path). */
  tradingUrl: string;
  credentials: AlpacaCredentials;
  /** Retries of one page on 429/5xx/network errors. Default 5. */
  maxRetries?: number;
  pageSize?: number;
  maxPages?: number;
  requestTimeoutMs?: number;
  backoff?: Partial<BackoffConfig>;
}

export interface FillActivitiesDeps {
  logger: Logger;
  fetch?: FetchLike;
  clock?: Clock;
  random?: () => number;
}

export interface FillActivities {
  /** Every FILL activity in the window, oldest first; throws AlpacaRestError (partialEvents set). */
  fills(window: FillWindow): Promise<FillsResult>;
}

/** `wss://paper-api.alpaca.markets/stream` → `https://paper-api.alpaca.markets` (pure). */
export function tradingRestUrl(tradeStreamUrl: string): string {
  const u = new URL(tradeStreamUrl);
  u.protocol = u.protocol === 'ws:' ? 'http:' : 'https:';
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/\/stream$/, '');
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

/** The query of one page (pure). */
export function activitiesQuery(window: FillWindow, pageSize: number, pageToken: string | null): string {
  const params = new URLSearchParams({
    activity_types: 'FILL',
    direction: 'asc',
    after: new Date(window.afterMs).toISOString(),
    until: new Date(window.untilMs).toISOString(),
    page_size: String(pageSize),
  });
  if (pageToken !== null) params.set('page_token', pageToken);
  return params.toString();
}

export function createFillActivities(config: FillActivitiesConfig, deps: FillActivitiesDeps): FillActivities {
  const doFetch: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init));
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const logger = deps.logger.child({ component: 'alpaca-activities' });
  const maxRetries = config.maxRetries ?? 5;
  const pageSize = Math.min(ACTIVITIES_PAGE_SIZE, Math.max(1, config.pageSize ?? ACTIVITIES_PAGE_SIZE));
  const maxPages = config.maxPages ?? MAX_ACTIVITY_PAGES;
  const timeoutMs = config.requestTimeoutMs ?? 30_000;
  const backoff = { ...DEFAULT_BACKOFF, ...config.backoff };
  const base = config.tradingUrl.replace(/\/+$/, '');
  const headers = alpacaRestHeaders(config.credentials);

  const get = createRestGet({
    fetch: doFetch,
    clock,
    random,
    logger,
    headers,
    maxRetries,
    timeoutMs,
    maxBytes: MAX_PAGE_BYTES,
    backoff,
    requestLabel: 'activities',
    bodyLabel: 'activities page',
  });
  async function getPage(url: string): Promise<unknown[]> {
    const parsed = await get(url);
    if (!Array.isArray(parsed))
      throw new AlpacaRestError(
        200,
        'unknown',
        'alpaca_rest_unexpected_shape',
        'activities page is not an array',
      );
    return parsed;
  }

  return {
    async fills(window) {
      const result: FillsResult = { events: [], dropped: [], pages: 0 };
      let pageToken: string | null = null;
      try {
        for (;;) {
          if (result.pages >= maxPages)
            throw new AlpacaRestError(
              200,
              'unknown',
              'alpaca_activities_too_many_pages',
              `more than ${maxPages} pages of fills in the window`,
            );
          const items = await getPage(
            `${base}/v2/account/activities?${activitiesQuery(window, pageSize, pageToken)}`,
          );
          const receivedAtMs = clock.now();
          result.pages += 1;
          let lastId: string | null = null;
          for (const item of items) {
            const decoded = activityToTradeUpdate(item, receivedAtMs);
            if (decoded.id !== null) lastId = decoded.id;
            if (decoded.ok) result.events.push(decoded.event);
            else result.dropped.push({ id: decoded.id, reason: decoded.reason });
          }
          if (items.length < pageSize) break;
          // A full page whose last item has no id cannot be paged past; the same token again would loop.
          if (lastId === null || lastId === pageToken)
            throw new AlpacaRestError(
              200,
              'unknown',
              'alpaca_rest_unexpected_shape',
              'activities page cannot be paged past (last id missing or repeated)',
            );
          pageToken = lastId;
        }
      } catch (err) {
        if (err instanceof AlpacaRestError) err.partialEvents = result.events;
        throw err;
      }
      logger.debug({ pages: result.pages, fills: result.events.length }, 'fill activities fetched');
      return result;
    },
  };
}
