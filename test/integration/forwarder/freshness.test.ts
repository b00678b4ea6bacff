/**
 * Freshness through the real forwarder CLI (child process), the simulator and the real broker:
 * the sim serves /v2/calendar (here a calendar whose session spans the whole day, so the test does
 * not depend on the time it runs at), quotes stop for one symbol while every other channel and
 * symbol trades → /readyz detail names it and a degraded status event reaches the status topic;
 * the quotes come back → healthy. No reconnect for one dark symbol. And a calendar that cannot be
 * fetched is named as the fallback in /readyz and the metrics.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addDays, newYorkDate } from '../../../forwarder/alpaca/market-calendar.ts';
import type { StatusEvent } from '../../../forwarder/status/status-event.ts';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import type { CalendarRow } from '../../sim/alpaca/index.ts';
import { cleanupAfterAll, forwarderEnv, freshTopics, startCli, startSim, waitReadiness } from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

/** Polls /metrics (every 50 ms, like waitReadiness) until the first group of `re` satisfies `ok`. */
async function waitMetric(
  base: string,
  re: RegExp,
  ok: (n: number) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    const m = re.exec(await (await fetch(`${base}/metrics`)).text());
    last = m ? Number(m[1]) : 0;
    if (ok(last)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${re}; last ${last}`);
}

/** Yesterday, today and tomorrow (New York) as all-day sessions: always the regular session. */
function allDayCalendar(): CalendarRow[] {
  const today = newYorkDate(Date.now());
  return [-1, 0, 1].map((n) => ({
    date: addDays(today, n),
    open: '00:00',
    close: '24:00',
    session_open: '0000',
    session_close: '2400',
    settlement_date: addDays(today, n + 1),
  }));
}

type Freshness = {
  calendar: string;
  calendar_reason: string | null;
  stale_channels: string[];
  stale_symbols: string[];
};
const freshnessOf = (b: { detail: Record<string, unknown> }): Freshness | undefined =>
  b.detail.freshness as Freshness | undefined;

describe('freshness through the CLI', () => {
  test('one symbol goes dark on quotes while the rest trades → /readyz detail + degraded status event; recovery → healthy; no reconnect', async () => {
    const sim = await startSim(cleanup);
    sim.setCalendar(allDayCalendar());
    const topics = await freshTopics(kafka);
    const { child, base } = await startCli(
      cleanup,
      forwarderEnv(sim, kafka, topics, {
        ALPACA_MARKET_DATA_CHANNELS: 'trades,quotes',
        ALPACA_CHANNEL_STALE_AFTER_MS: '2000',
        ALPACA_TRADING_URL: sim.urls.rest,
      }),
    );
    await waitReadiness(base, (b) => b.ready, 'ready');
    let tslaQuotes = true;
    const pusher = setInterval(() => {
      sim.push([
        ...['AAPL', 'MSFT', 'TSLA'].map((s) => sim.data.trade(s)),
        sim.data.quote('AAPL'),
        sim.data.quote('MSFT'),
        ...(tslaQuotes ? [sim.data.quote('TSLA')] : []),
      ]);
    }, 100);
    cleanup.push(async () => clearInterval(pusher));
    const fresh = await waitReadiness(
      base,
      (b) => freshnessOf(b)?.calendar === 'alpaca',
      'calendar from the sim',
    );
    assert.deepEqual(freshnessOf(fresh)?.stale_symbols, []);
    // Each push is one frame (6 messages, under the sim's 20 per frame) with a TSLA quote: once
    // the forwarder has received a quote, TSLA has quoted today (one that has not is never stale).
    await waitMetric(
      base,
      /^alpaca_forwarder_events_received_total\{channel="quotes"\} (\d+)/m,
      (n) => n >= 3,
    );

    tslaQuotes = false;
    const stale = await waitReadiness(
      base,
      (b) => freshnessOf(b)?.stale_symbols.includes('quotes:TSLA') ?? false,
      'quotes:TSLA stale',
    );
    assert.equal(stale.ready, true, 'a dark symbol is reported, the stream stays connected');
    assert.deepEqual(freshnessOf(stale)?.stale_channels, [], 'quotes still flow for AAPL and MSFT');

    tslaQuotes = true;
    await waitReadiness(base, (b) => freshnessOf(b)?.stale_symbols.length === 0, 'recovered');
    clearInterval(pusher);
    // SIGTERM flushes the sink: every status event is in the topic once the CLI has exited.
    child.proc.kill('SIGTERM');
    assert.equal(await child.exited, 0);

    const events = (await readTopic(kafka, topics.status))
      .map((r) => JSON.parse(r.value ?? '{}').payload as StatusEvent)
      .filter((e) => e.stream === 'market_data');
    const degraded = events.findIndex(
      (e) =>
        e.status === 'degraded' &&
        e.reason === 'alpaca_symbols_stale' &&
        e.stale_symbols?.includes('quotes:TSLA'),
    );
    assert.ok(degraded >= 0, `a degraded event names quotes:TSLA: ${JSON.stringify(events)}`);
    assert.equal(events[degraded]?.stale_symbol_counts?.quotes, 1);
    const healthy = events.findIndex(
      (e, i) =>
        i > degraded &&
        e.status === 'healthy' &&
        e.stale_symbols !== undefined &&
        e.stale_symbols.length === 0,
    );
    assert.ok(healthy > degraded, 'a healthy event follows the recovery');
    assert.equal(
      events.filter((e) => e.status === 'reconnect').length,
      0,
      'one dark symbol is not a reconnect reason',
    );
  });

  test('the calendar cannot be fetched → the shipped rule set, named in /readyz and the metrics', async () => {
    const sim = await startSim(cleanup);
    sim.failCalendar(1, 503);
    const topics = await freshTopics(kafka);
    const { child, base } = await startCli(
      cleanup,
      forwarderEnv(sim, kafka, topics, { ALPACA_TRADING_URL: sim.urls.rest }),
    );
    const body = await waitReadiness(
      base,
      (b) => freshnessOf(b)?.calendar_reason === 'HTTP 503',
      'fallback named',
    );
    assert.equal(freshnessOf(body)?.calendar, 'fallback');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^alpaca_forwarder_market_calendar_fallback 1$/m);
    assert.match(metrics, /^alpaca_forwarder_market_calendar_fetches_total\{result="fallback"\} 1$/m);
    const logged = await child.waitForLog((l) => String(l.msg).includes('(fallback)'));
    assert.equal(logged.reason, 'HTTP 503');
  });
});
