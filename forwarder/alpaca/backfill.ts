/**
 * Backfill at start and gap-fill after a WebSocket gap, over REST. The pipeline deduplicates the
 * events against what the WebSocket already delivered.
 *
 * Paced (issue 10.4): the runners hand each REST page to the pipeline as soon as it is read, in
 * slices of PACED_SLICE_EVENTS, awaiting `pace()` before each slice (the forwarder waits there
 * while the Kafka buffer is above its high-water mark) and fetching the next page only after the
 * last slice went in. So a backfill larger than the buffer never overflows it, and live events
 * keep the room above the mark.
 */
import type { Logger } from 'pino';
import type { ErrorClass } from '../../contracts/readiness.ts';
import type { PageOptions, RestClient } from './rest-client.ts';
import { AlpacaRestError } from './rest-client.ts';
import type { AlpacaEvent, StreamGap, SubscriptionSet } from './types.ts';

const MINUTE_MS = 60_000;

/** Events handed to the pipeline between two pace() waits: small against any buffer (~100 records). */
export const PACED_SLICE_EVENTS = 100;

/** Delivers a page: whole without a pacer; with one, slice by slice, each after pace() resolved. */
async function deliverPage(
  events: AlpacaEvent[],
  deliver: (batch: AlpacaEvent[]) => void,
  pace: (() => Promise<void>) | undefined,
): Promise<void> {
  if (pace === undefined) {
    deliver(events);
    return;
  }
  for (let i = 0; i < events.length; i += PACED_SLICE_EVENTS) {
    await pace();
    deliver(events.slice(i, i + PACED_SLICE_EVENTS));
  }
}

/** Symbols REST can be asked for (the wildcard cannot). */
function concrete(symbols: readonly string[]): string[] {
  return symbols.filter((s) => s !== '*');
}

/** The REST window for a gap (pure): from the start of the minute before the last data (its bar may be missing) to the gap's end. */
export function gapWindow(gap: StreamGap): { start: string; end: string } {
  const fromMinute = Math.floor(gap.fromMs / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  return { start: new Date(fromMinute).toISOString(), end: new Date(gap.toMs).toISOString() };
}

/** The REST window for the start-up backfill (pure). */
export function backfillWindow(nowMs: number, lookbackMinutes: number): { start: string; end: string } {
  return {
    start: new Date(nowMs - lookbackMinutes * MINUTE_MS).toISOString(),
    end: new Date(nowMs).toISOString(),
  };
}

export async function backfillBars(
  rest: RestClient,
  subscriptions: SubscriptionSet,
  nowMs: number,
  lookbackMinutes: number,
  options: PageOptions = {},
): Promise<AlpacaEvent[]> {
  const symbols = concrete(subscriptions.bars);
  if (symbols.length === 0 || lookbackMinutes <= 0) return [];
  return rest.getBars({ symbols, ...backfillWindow(nowMs, lookbackMinutes) }, options);
}

export interface StartupBackfillDeps {
  rest: RestClient;
  logger: Logger;
  subscriptions: SubscriptionSet;
  nowMs: number;
  lookbackMinutes: number;
  onEvents(batch: AlpacaEvent[]): void;
  /** Awaited before each slice of a page is handed over (see the module comment). */
  pace?(): Promise<void>;
}

/**
 * The start-up bars backfill: hands over each page as it is read (paced); on a failure the pages
 * read before it are already delivered, and the rest is logged as missing. Never rejects.
 */
export async function runStartupBackfill(deps: StartupBackfillDeps): Promise<void> {
  const logger = deps.logger.child({ component: 'alpaca-backfill' });
  let delivered = 0;
  const deliver = (batch: AlpacaEvent[]): void => {
    delivered += batch.length;
    try {
      deps.onEvents(batch);
    } catch (err) {
      logger.error({ err, events: batch.length }, 'onEvents handler threw on backfill events');
    }
  };
  const onPage = (page: AlpacaEvent[]) => deliverPage(page, deliver, deps.pace);
  try {
    await backfillBars(deps.rest, deps.subscriptions, deps.nowMs, deps.lookbackMinutes, { onPage });
    logger.info({ events: delivered }, 'bars backfill done');
  } catch (err) {
    const rest = err instanceof AlpacaRestError ? err : null;
    // With onPage nothing is held back; partialEvents is empty unless a client ignores onPage.
    const partial = rest?.partialEvents ?? [];
    if (partial.length > 0) await onPage(partial);
    logger.error(
      {
        error_class: rest?.errorClass ?? 'unknown',
        reason: rest?.reason ?? 'alpaca_backfill_failed',
        err,
        delivered_events: delivered,
      },
      'bars backfill failed; the events fetched before the failure are delivered',
    );
  }
}

/** One REST request of a gap fill: a kind of data for some symbols. */
export interface GapRequest {
  kind: 'bars' | 'trades' | 'quotes';
  symbols: string[];
}

/** What a gap fill fetches beside bars (config backfill.gapFill: trades on, quotes off by default). */
export interface GapKinds {
  trades: boolean;
  quotes?: boolean;
}

/** The REST requests that fill a gap (pure): bars for the bars subscription, trades/quotes when enabled. */
export function gapRequests(subscriptions: SubscriptionSet, options: GapKinds): GapRequest[] {
  const out: GapRequest[] = [];
  const bars = concrete(subscriptions.bars);
  if (bars.length > 0) out.push({ kind: 'bars', symbols: bars });
  const trades = concrete(subscriptions.trades);
  if (options.trades && trades.length > 0) out.push({ kind: 'trades', symbols: trades });
  const quotes = concrete(subscriptions.quotes);
  if (options.quotes && quotes.length > 0) out.push({ kind: 'quotes', symbols: quotes });
  return out;
}

function fetchGap(
  rest: RestClient,
  request: GapRequest,
  gap: StreamGap,
  options: PageOptions = {},
): Promise<AlpacaEvent[]> {
  const query = { symbols: request.symbols, ...gapWindow(gap) };
  if (request.kind === 'bars') return rest.getBars(query, options);
  return request.kind === 'trades' ? rest.getTrades(query, options) : rest.getQuotes(query, options);
}

export async function fillGap(
  rest: RestClient,
  subscriptions: SubscriptionSet,
  gap: StreamGap,
  options: GapKinds,
): Promise<AlpacaEvent[]> {
  const out: AlpacaEvent[] = [];
  for (const request of gapRequests(subscriptions, options))
    out.push(...(await fetchGap(rest, request, gap)));
  return out;
}

export interface GapFillerDeps {
  rest: RestClient;
  logger: Logger;
  /** The subscriptions to fill for (what the forwarder wants now). */
  subscriptions(): SubscriptionSet;
  onEvents(batch: AlpacaEvent[]): void;
  /** A gap could not be filled (after the REST client's own retries). */
  onFailure?(gap: StreamGap, error: { errorClass: ErrorClass; reason: string }): void;
  /** Also fetch the gap's trades (the forwarder's default; off when unset here). */
  trades?: boolean;
  /** Also fetch the gap's quotes (off by default: quote volume is large). */
  quotes?: boolean;
  /** Awaited before each slice of a page is handed over (see the module comment). */
  pace?(): Promise<void>;
}

export interface GapFiller {
  /** Queue a gap; gaps are filled one at a time, in order. */
  fill(gap: StreamGap): void;
  /** Resolves when every queued gap has been handled. */
  idle(): Promise<void>;
}

/** Wires StreamGap reports (deps.onGap of the market-data stream) to REST gap-fill. */
export function createGapFiller(deps: GapFillerDeps): GapFiller {
  let chain: Promise<void> = Promise.resolve();
  const logger = deps.logger.child({ component: 'alpaca-gap-fill' });
  const deliver = (events: AlpacaEvent[]): void => {
    try {
      deps.onEvents(events);
    } catch (err) {
      logger.error({ err, events: events.length }, 'onEvents handler threw on gap-fill events');
    }
  };
  return {
    fill(gap) {
      // Each request is delivered on its own, so bars already fetched are not thrown away when
      // the trades request fails (each failure is logged and reported).
      chain = chain.then(async () => {
        const kinds = { trades: deps.trades ?? false, quotes: deps.quotes ?? false };
        for (const request of gapRequests(deps.subscriptions(), kinds)) {
          let delivered = 0;
          const onPage = (page: AlpacaEvent[]) => {
            delivered += page.length;
            return deliverPage(page, deliver, deps.pace);
          };
          try {
            await fetchGap(deps.rest, request, gap, { onPage });
            logger.info(
              { gap: { from_ms: gap.fromMs, to_ms: gap.toMs }, kind: request.kind, events: delivered },
              'gap filled over REST',
            );
          } catch (err) {
            const rest = err instanceof AlpacaRestError ? err : null;
            const cls: { errorClass: ErrorClass; reason: string } = rest
              ? { errorClass: rest.errorClass, reason: rest.reason }
              : { errorClass: 'unknown', reason: 'alpaca_gap_fill_failed' };
            const partial = rest?.partialEvents ?? [];
            if (partial.length > 0) await onPage(partial);
            logger.error(
              {
                gap: { from_ms: gap.fromMs, to_ms: gap.toMs },
                kind: request.kind,
                error_class: cls.errorClass,
                reason: cls.reason,
                err,
                delivered_events: delivered,
              },
              'gap fill failed; the events fetched before the failure are delivered',
            );
            deps.onFailure?.(gap, cls);
          }
        }
      });
    },
    idle: () => chain,
  };
}
