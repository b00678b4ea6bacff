/**
 * The market calendar the freshness monitor expects data by: Alpaca's trading API
 * `GET {tradingUrl}/v2/calendar?start=…&end=…` (yesterday to 14 days ahead, New York dates),
 * fetched at start and refreshed daily, cached in memory. When it cannot be fetched (network,
 * HTTP status, a malformed answer) the shipped NYSE rule set stands in (market-calendar.ts), the
 * log says so with the reason, and the source metric names the fallback; a retry follows every
 * 10 minutes until Alpaca answers. Never logs a credential.
 */
import type { Logger } from 'pino';
import { type Clock, systemClock, type TimerHandle } from '../../lib/time/clock.ts';
import {
  addDays,
  type FeedPhase,
  fallbackCalendar,
  feedPhase,
  newYorkDate,
  parseCalendar,
  type TradingDay,
} from './market-calendar.ts';
import type { FetchLike } from './rest-client.ts';
import { type AlpacaCredentials, alpacaRestHeaders } from './secrets.ts';

export type CalendarOrigin = 'alpaca' | 'fallback';

export interface CalendarSourceConfig {
  /** Trading API base, e.g. https://paper-api.alpaca.markets (no path). */
  tradingUrl: string;
  credentials: AlpacaCredentials;
  /** Refresh after a good answer. Default 24 h. */
  refreshMs?: number;
  /** Retry after a failed fetch (the fallback is in use meanwhile). Default 10 min. */
  retryMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
}

export interface CalendarSourceDeps {
  logger: Logger;
  clock?: Clock;
  fetch?: FetchLike;
  /** After every fetch: where the calendar in use comes from, and why when it is the fallback. */
  onOrigin?(origin: CalendarOrigin, reason: string | null): void;
}

export interface CalendarSource {
  /** First fetch; resolves when it is done, good or bad (never rejects). */
  start(): Promise<void>;
  /** The feed's phase now, by the calendar in use. */
  phase(feed: string, nowMs: number): FeedPhase;
  origin(): { origin: CalendarOrigin; reason: string | null };
  stop(): void;
}

const MAX_CALENDAR_BYTES = 1024 * 1024;

export function createCalendarSource(config: CalendarSourceConfig, deps: CalendarSourceDeps): CalendarSource {
  const clock = deps.clock ?? systemClock;
  const doFetch: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init));
  const logger = deps.logger.child({ component: 'market-calendar' });
  const refreshMs = config.refreshMs ?? 24 * 3_600_000;
  const retryMs = config.retryMs ?? 10 * 60_000;
  const timeoutMs = config.timeoutMs ?? 10_000;
  let days: TradingDay[] | null = null;
  let lastDate: string | null = null;
  let origin: CalendarOrigin = 'fallback';
  let reason: string | null = 'not_fetched_yet';
  let timer: TimerHandle | null = null;
  /** The rule set's days around the date last asked for (computed once per New York date). */
  let fallback: { date: string; days: TradingDay[] } | null = null;
  let stopped = false;

  async function fetchOnce(): Promise<{ ok: true; days: TradingDay[] } | { ok: false; reason: string }> {
    const today = newYorkDate(clock.now());
    const url = `${config.tradingUrl.replace(/\/+$/, '')}/v2/calendar?start=${addDays(today, -1)}&end=${addDays(today, 14)}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: alpacaRestHeaders(config.credentials),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      return { ok: false, reason: `request failed: ${(err as Error).name}` };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return { ok: false, reason: `HTTP ${res.status}` };
    }
    const text = await res.text().catch(() => null);
    if (text === null) return { ok: false, reason: 'body could not be read' };
    if (text.length > MAX_CALENDAR_BYTES) return { ok: false, reason: 'answer larger than 1 MiB' };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'answer is not JSON' };
    }
    const parsed = parseCalendar(body);
    if (!parsed.ok) return parsed;
    return { ok: true, days: parsed.days };
  }

  async function refresh(): Promise<void> {
    const result = await fetchOnce();
    if (stopped) return;
    if (result.ok) {
      days = result.days;
      lastDate = result.days.at(-1)?.date ?? null;
      const was = origin;
      origin = 'alpaca';
      reason = null;
      if (was !== 'alpaca')
        logger.info({ days: days.length, last_date: lastDate }, 'market calendar from Alpaca');
    } else {
      origin = 'fallback';
      reason = result.reason;
      logger.warn(
        { reason: result.reason, retry_in_ms: retryMs, fallback: 'nyse_rules' },
        'market calendar could not be fetched from Alpaca; using the shipped NYSE rule set (fallback)',
      );
    }
    deps.onOrigin?.(origin, reason);
    timer = clock.setTimeout(() => void refresh(), result.ok ? refreshMs : retryMs);
  }

  return {
    start: () => refresh(),
    phase(feed, nowMs) {
      const date = newYorkDate(nowMs);
      // The fetched range covers yesterday to two weeks ahead; outside it (a refresh that keeps
      // failing) the rule set answers for that date.
      const inRange = days !== null && lastDate !== null && date <= lastDate;
      if (inRange && days !== null) return feedPhase(days, feed, nowMs);
      if (fallback?.date !== date)
        fallback = { date, days: fallbackCalendar(addDays(date, -1), addDays(date, 1)) };
      return feedPhase(fallback.days, feed, nowMs);
    },
    origin: () => ({ origin, reason }),
    stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
    },
  };
}
