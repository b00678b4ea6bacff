/**
 * Alpaca historical REST (stocks): `/v2/stocks/bars`, `/trades` and `/quotes`, multi-symbol form,
 * following `next_page_token` to the end. 429 and 5xx are retried a bounded number of times,
 * honouring Retry-After; 403/422 are classified and thrown. Results are AlpacaEvents with
 * `source: 'rest'`. REST items carry no `T`/`S`; the payload gets them (`T` b/t first, then `S`)
 * so REST and WebSocket payloads have the same shape for consumers and dedup.
 *
 * REST trades pages keep trades that were later canceled or found incorrect, flagged
 * `"u":"canceled"` / `"u":"incorrect"`. They are not ordinary prints: each becomes the
 * cancel/error message the stream would have sent (`T:"x"`, `a:"C"` / `a:"E"`, the REST item's
 * fields kept, `u` included), so a consumer handling the stream's `x` handles it, and its dedup
 * key is the one the stream's `x` for that trade gets.
 */
import type { Logger } from 'pino';
import type { ErrorClass } from '../../contracts/readiness.ts';
import { BodyTooLargeError, readBoundedText } from '../../lib/http/bounded-body.ts';
import { type Clock, sleep, systemClock } from '../../lib/time/clock.ts';
import { type BackoffConfig, DEFAULT_BACKOFF, parseRetryAfterMs, reconnectDelayMs } from './backoff.ts';
import { createIssueReporter, type DecodeIssueSink } from './decode-issues.ts';
import { decodeMessage } from './message-decode.ts';
import { type AlpacaCredentials, alpacaRestHeaders } from './secrets.ts';
import type { AlpacaEvent, EventChannel } from './types.ts';

export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

export interface RestClientConfig {
  /** e.g. https://data.alpaca.markets (no path). */
  dataUrl: string;
  credentials: AlpacaCredentials;
  /** Feed query parameter (iex, sip, delayed_sip). `test` has no REST data; it is sent as iex. */
  feed: string;
  /** Retries of one page on 429/5xx/network errors before giving up. Default 5. */
  maxRetries?: number;
  /** Page size (1..10000). Default 10000. */
  pageLimit?: number;
  /** Symbols per request (long URLs are refused by proxies); more are fetched group by group. Default 200. */
  symbolsPerRequest?: number;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  backoff?: Partial<BackoffConfig>;
  /** Bound of one response body; a larger one is refused (not retried). Default MAX_PAGE_BYTES. */
  maxPageBytes?: number;
}

/**
 * A full page is at most 10,000 items (`limit` caps the total across symbols); a trade item with
 * every field at its bound is ~450 bytes of JSON, a bar ~250: 16 MiB leaves > 3x headroom.
 */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;

/** Page tokens are short opaque cursors (base64 of a few ids); a longer one is a bad response. */
const MAX_PAGE_TOKEN_CHARS = 4096;

export interface RestClientDeps {
  logger: Logger;
  /** Items dropped for a field outside its bound (counted like WebSocket messages). */
  onDecodeIssue?: DecodeIssueSink;
  fetch?: FetchLike;
  clock?: Clock;
  random?: () => number;
}

export interface RangeQuery {
  symbols: readonly string[];
  /** RFC3339, inclusive. */
  start: string;
  end: string;
}

/**
 * Receives each page's events as soon as the page is read; the next page is requested only once
 * the returned promise resolves (the caller paces the fetch, e.g. on the Kafka buffer).
 */
export type PageHandler = (events: AlpacaEvent[]) => Promise<void>;

export interface PageOptions {
  /** When set, pages go here one by one and the call resolves to [] (nothing is accumulated). */
  onPage?: PageHandler;
}

export interface RestClient {
  getBars(query: RangeQuery, options?: PageOptions): Promise<AlpacaEvent[]>;
  getTrades(query: RangeQuery, options?: PageOptions): Promise<AlpacaEvent[]>;
  getQuotes(query: RangeQuery, options?: PageOptions): Promise<AlpacaEvent[]>;
}

export class AlpacaRestError extends Error {
  readonly status: number;
  readonly errorClass: ErrorClass;
  readonly reason: string;
  /**
   * Events of the requests (symbol groups, pages) that succeeded before this failure and were not
   * handed to an onPage handler already (with onPage, every page read was delivered: empty).
   */
  partialEvents: AlpacaEvent[] = [];
  constructor(status: number, errorClass: ErrorClass, reason: string, message: string) {
    super(message);
    this.name = 'AlpacaRestError';
    this.status = status;
    this.errorClass = errorClass;
    this.reason = reason;
  }
}

/** HTTP status (+ body text) of a failed REST call → class and stable reason (pure). */
export function classifyRestFailure(
  status: number,
  body: string,
): { errorClass: ErrorClass; reason: string } {
  if (status === 401 || status === 403) {
    if (/subscription does not permit/i.test(body)) {
      return { errorClass: 'alpaca_auth', reason: 'alpaca_rest_403_subscription' };
    }
    return { errorClass: 'alpaca_auth', reason: `alpaca_rest_${status}_forbidden` };
  }
  if (status === 422) {
    if (/subscription does not permit/i.test(body)) {
      return { errorClass: 'alpaca_auth', reason: 'alpaca_rest_422_subscription' };
    }
    return { errorClass: 'unknown', reason: 'alpaca_rest_422_invalid_parameter' };
  }
  if (status === 429) return { errorClass: 'unknown', reason: 'alpaca_rest_429_rate_limited' };
  if (status === 400) return { errorClass: 'unknown', reason: 'alpaca_rest_400_bad_request' };
  const code = Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'network';
  return { errorClass: 'unknown', reason: `alpaca_rest_${code}` };
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

type Kind = 'bars' | 'trades' | 'quotes';
const TYPE_OF: Record<Kind, string> = { bars: 'b', trades: 't', quotes: 'q' };
const CHANNEL_OF: Record<Kind, EventChannel> = { bars: 'bars', trades: 'trades', quotes: 'quotes' };

/** REST trade flags (`u`) that mean "not a valid print" → the stream's cancel/error action. */
const CANCEL_ACTION_OF_UPDATE: Readonly<Record<string, string>> = { canceled: 'C', incorrect: 'E' };

/** The REST item as the message the stream would have sent (pure; see the module comment). */
export function restPayload(
  kind: Kind,
  symbol: string,
  item: Record<string, unknown>,
): Record<string, unknown> {
  const cancel =
    kind === 'trades' && typeof item.u === 'string' ? CANCEL_ACTION_OF_UPDATE[item.u] : undefined;
  if (cancel !== undefined) return { T: 'x', S: symbol, ...item, a: cancel };
  return { T: TYPE_OF[kind], S: symbol, ...item };
}

/**
 * `{bars: {SYM: [...]}}` or single-symbol `{bars: [...], symbol}` → (symbol, item) pairs (pure).
 * Anything else, down to a single item that is not an object, throws: nothing is skipped silently.
 */
export function itemsOfPage(kind: Kind, body: unknown): { symbol: string; item: Record<string, unknown> }[] {
  if (body === null || typeof body !== 'object') throw new Error(`response is not an object`);
  const b = body as Record<string, unknown>;
  const section = b[kind];
  const out: { symbol: string; item: Record<string, unknown> }[] = [];
  const add = (symbol: string, list: unknown[]): void => {
    list.forEach((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw new Error(`${kind}.${symbol}[${i}] is not an object`);
      out.push({ symbol, item: item as Record<string, unknown> });
    });
  };
  if (section === null || section === undefined) return out;
  if (Array.isArray(section)) {
    if (typeof b.symbol !== 'string') throw new Error(`${kind} is an array but the response has no symbol`);
    add(b.symbol, section);
    return out;
  }
  if (typeof section !== 'object') throw new Error(`${kind} is neither an object nor an array`);
  for (const [symbol, list] of Object.entries(section as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new Error(`${kind}.${symbol} is not an array`);
    add(symbol, list);
  }
  return out;
}

export function createRestClient(config: RestClientConfig, deps: RestClientDeps): RestClient {
  const doFetch: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init));
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const logger = deps.logger.child({ component: 'alpaca-rest' });
  const maxRetries = config.maxRetries ?? 5;
  const pageLimit = Math.min(10_000, Math.max(1, config.pageLimit ?? 10_000));
  const timeoutMs = config.requestTimeoutMs ?? 30_000;
  const symbolsPerRequest = Math.max(1, config.symbolsPerRequest ?? 200);
  const maxPageBytes = config.maxPageBytes ?? MAX_PAGE_BYTES;
  const reportIssue = createIssueReporter(
    logger,
    deps.onDecodeIssue,
    deps.clock ? { clock: deps.clock } : {},
  );
  const backoff = { ...DEFAULT_BACKOFF, ...config.backoff };
  const base = config.dataUrl.replace(/\/+$/, '');
  const feed = config.feed === 'test' ? 'iex' : config.feed;
  const headers = alpacaRestHeaders(config.credentials);

  const getPage = createRestGet({
    fetch: doFetch,
    clock,
    random,
    logger,
    headers,
    maxRetries,
    timeoutMs,
    maxBytes: maxPageBytes,
    backoff,
    requestLabel: 'REST',
    bodyLabel: 'REST response',
  });

  async function getAll(
    kind: Kind,
    query: RangeQuery,
    extra: Record<string, string>,
    onPage: PageHandler | undefined,
  ): Promise<AlpacaEvent[]> {
    const symbols = [
      ...new Set(query.symbols.map((s) => s.trim().toUpperCase()).filter((s) => s !== '' && s !== '*')),
    ];
    const events: AlpacaEvent[] = [];
    try {
      for (let i = 0; i < symbols.length; i += symbolsPerRequest) {
        await getRange(kind, symbols.slice(i, i + symbolsPerRequest), query, extra, events, onPage);
      }
    } catch (err) {
      // What was fetched is not thrown away: the caller may still deliver it.
      if (err instanceof AlpacaRestError) err.partialEvents = events;
      throw err;
    }
    return events;
  }

  /** One symbol group, every page, appended to `events` (or handed to onPage page by page). */
  async function getRange(
    kind: Kind,
    symbols: string[],
    query: RangeQuery,
    extra: Record<string, string>,
    events: AlpacaEvent[],
    onPage: PageHandler | undefined,
  ): Promise<void> {
    let pageToken: string | null = null;
    let pages = 0;
    let count = 0;
    do {
      const params = new URLSearchParams({
        symbols: symbols.join(','),
        start: query.start,
        end: query.end,
        limit: String(pageLimit),
        feed,
        sort: 'asc',
        ...extra,
      });
      if (pageToken !== null) params.set('page_token', pageToken);
      const body = await getPage(`${base}/v2/stocks/${kind}?${params.toString()}`);
      const receivedAtMs = clock.now();
      pages += 1;
      let items: ReturnType<typeof itemsOfPage>;
      try {
        items = itemsOfPage(kind, body);
      } catch (err) {
        throw new AlpacaRestError(200, 'unknown', 'alpaca_rest_unexpected_shape', (err as Error).message);
      }
      const page: AlpacaEvent[] = onPage ? [] : events;
      const pageStart = page.length;
      for (const { symbol, item } of items) {
        const payload = restPayload(kind, symbol, item);
        // The checks a WebSocket message gets: field sizes first (the map key is the symbol),
        // then types (a mistyped item is dropped and counted, never forwarded).
        const checked = decodeMessage(payload, { receivedAtMs, forwardDailyBars: true });
        if (checked.kind !== 'event' || checked.event.channel !== CHANNEL_OF[kind]) {
          reportIssue({
            stream: 'market_data',
            kind: 'malformed_message',
            type: typeof payload.T === 'string' ? payload.T : TYPE_OF[kind],
            reason: `rest_${checked.kind === 'malformed' ? checked.reason : 'unexpected_type'}`,
            atMs: receivedAtMs,
          });
          continue;
        }
        page.push({
          channel: CHANNEL_OF[kind],
          symbol: symbol.toUpperCase(),
          payload,
          eventTs: typeof item.t === 'string' ? item.t : null,
          receivedAtMs,
          source: 'rest',
        });
      }
      count += page.length - pageStart;
      const next = (body as Record<string, unknown>).next_page_token;
      if (typeof next === 'string' && next.length > MAX_PAGE_TOKEN_CHARS)
        throw new AlpacaRestError(
          200,
          'unknown',
          'alpaca_rest_unexpected_shape',
          'next_page_token is too long',
        );
      pageToken = typeof next === 'string' && next !== '' ? next : null;
      if (onPage && page.length > 0) await onPage(page);
    } while (pageToken !== null);
    logger.debug({ kind, symbols: symbols.length, pages, events: count }, 'REST range fetched');
  }

  return {
    getBars: (query, o) => getAll('bars', query, { timeframe: '1Min', adjustment: 'raw' }, o?.onPage),
    getTrades: (query, o) => getAll('trades', query, {}, o?.onPage),
    getQuotes: (query, o) => getAll('quotes', query, {}, o?.onPage),
  };
}

/**
 * One GET of an Alpaca REST page with the project's rules, shared by the market-data client above
 * and the account activities (fill-activities.ts): Alpaca's key headers, a per-request timeout, a
 * bounded body, JSON parsed; a network error, 429 or 5xx retried with jittered backoff
 * (Retry-After honoured as a floor) up to `maxRetries`; anything else, or the last failure, an
 * AlpacaRestError with a classified reason.
 */
export interface RestGetOptions {
  fetch: FetchLike;
  clock: Clock;
  random: () => number;
  logger: Logger;
  headers: Record<string, string>;
  maxRetries: number;
  timeoutMs: number;
  maxBytes: number;
  backoff: BackoffConfig;
  /** What is fetched, in log lines (`REST request failed`) and error texts (`REST response is not JSON`). */
  requestLabel: string;
  bodyLabel: string;
}

/** Returns a getter of parsed JSON bodies. */
export function createRestGet(o: RestGetOptions): (url: string) => Promise<unknown> {
  return async function get(url: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let retryAfter: string | null = null;
      let bodyText = '';
      try {
        const res = await o.fetch(url, { headers: o.headers, signal: AbortSignal.timeout(o.timeoutMs) });
        status = res.status;
        bodyText = await readBoundedText(res, o.maxBytes);
        if (res.ok) {
          try {
            return JSON.parse(bodyText);
          } catch {
            throw new AlpacaRestError(
              status,
              'unknown',
              'alpaca_rest_invalid_json',
              `${o.bodyLabel} is not JSON`,
            );
          }
        }
        retryAfter = res.headers.get('retry-after');
      } catch (err) {
        if (err instanceof AlpacaRestError) throw err;
        if (err instanceof BodyTooLargeError) {
          throw new AlpacaRestError(
            status,
            'unknown',
            'alpaca_rest_page_too_large',
            `${o.bodyLabel} larger than ${o.maxBytes} bytes`,
          );
        }
        status = 0;
        o.logger.warn({ err, attempt }, `${o.requestLabel} request failed`);
      }
      const cls = classifyRestFailure(status, bodyText);
      if ((status !== 0 && !retryable(status)) || attempt > o.maxRetries) {
        throw new AlpacaRestError(
          status,
          cls.errorClass,
          cls.reason,
          `GET ${new URL(url).pathname} failed with ${status === 0 ? 'a network error' : `HTTP ${status}`} (${cls.reason}) after ${attempt} attempt(s)`,
        );
      }
      const delay = reconnectDelayMs(
        o.backoff,
        'transient',
        attempt,
        o.random,
        parseRetryAfterMs(retryAfter, o.clock.now()),
      );
      o.logger.warn(
        { status, reason: cls.reason, attempt, delay_ms: delay },
        `${o.requestLabel} request will be retried`,
      );
      await sleep(o.clock, delay);
    }
  };
}
