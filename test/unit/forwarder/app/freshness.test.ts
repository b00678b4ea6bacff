/**
 * Freshness per (channel, symbol) on a manual clock and calendar fixtures: quotes stop for one
 * symbol while bars flow, a symbol that never traded today is not stale, a whole channel silent
 * in the regular session is a reconnect reason (once per connection), bars overdue for a symbol
 * that traded, and nothing is expected on a holiday, a weekend or before the open.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  feedPhase,
  newYorkToUtcMs,
  parseCalendar,
  type TradingDay,
} from '../../../../forwarder/alpaca/market-calendar.ts';
import { normaliseSubscriptions } from '../../../../forwarder/alpaca/subscriptions.ts';
import type { AlpacaEvent, EventChannel, SubscriptionSet } from '../../../../forwarder/alpaca/types.ts';
import { createFreshnessMonitor, type FreshnessReport } from '../../../../forwarder/app/freshness.ts';
import { createManualClock } from '../../../support/manual-clock.ts';

const parsed = parseCalendar([
  { date: '2026-11-25', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000' },
  { date: '2026-11-27', open: '09:30', close: '13:00', session_open: '0400', session_close: '1700' },
]);
assert.ok(parsed.ok);
const CALENDAR: TradingDay[] = parsed.days;
const ny = (date: string, hh: number, mm = 0): number => newYorkToUtcMs(date, hh * 60 + mm);
const T = 60_000;

function harness(startMs: number, subs: SubscriptionSet, feed = 'iex') {
  const clock = createManualClock(startMs);
  const changes: FreshnessReport[] = [];
  const silent: string[] = [];
  const monitor = createFreshnessMonitor({
    feed,
    staleAfterMs: T,
    clock,
    phase: (now) => feedPhase(CALENDAR, feed, now),
    onChange: (r) => changes.push(r),
    onChannelSilent: (c) => silent.push(c),
  });
  monitor.setSubscriptions(subs);
  monitor.connected(startMs);
  const ev = (channel: EventChannel, symbol: string): AlpacaEvent => ({
    channel,
    symbol,
    payload: {},
    eventTs: null,
    receivedAtMs: clock.now(),
    source: 'ws',
  });
  /** Feeds `each` every 5 s for `ms`, checking as the timer would. */
  const run = (ms: number, each: () => AlpacaEvent[]): void => {
    for (let t = 0; t < ms; t += 5_000) {
      monitor.observe(each());
      clock.advance(5_000);
      monitor.check();
    }
  };
  const stale = (): string[] =>
    (monitor.snapshot()?.staleSymbols ?? []).map((s) => `${s.channel}:${s.symbol}`);
  return { clock, monitor, changes, silent, ev, run, stale };
}

const ALL = normaliseSubscriptions({
  trades: ['AAPL', 'MSFT'],
  quotes: ['AAPL', 'MSFT'],
  bars: ['AAPL', 'MSFT'],
});

describe('freshness', () => {
  test('quotes stop for one symbol while trades and bars flow → degraded with that symbol, healthy on recovery; no reconnect', () => {
    const h = harness(ny('2026-11-25', 10), ALL);
    const flowing = (withMsftQuotes: boolean): AlpacaEvent[] => [
      h.ev('trades', 'AAPL'),
      h.ev('trades', 'MSFT'),
      h.ev('quotes', 'AAPL'),
      ...(withMsftQuotes ? [h.ev('quotes', 'MSFT')] : []),
      h.ev('bars', 'AAPL'),
      h.ev('bars', 'MSFT'),
    ];
    h.run(60_000, () => flowing(true));
    assert.deepEqual(h.stale(), []);
    assert.equal(h.changes.length, 0, 'nothing stale: no event');
    // The last MSFT quote came 5 s before this point (each step observes, then moves 5 s on).
    h.run(T - 10_000, () => flowing(false));
    assert.deepEqual(h.stale(), [], 'not yet a threshold of silence');
    h.run(5_000, () => flowing(false));
    assert.deepEqual(h.stale(), ['quotes:MSFT']);
    assert.equal(h.changes.length, 1);
    assert.deepEqual(h.changes[0]?.staleChannels, []);
    assert.deepEqual(h.changes[0]?.staleCounts, { trades: 0, quotes: 1, bars: 0 });
    h.run(30_000, () => flowing(false));
    assert.equal(h.changes.length, 1, 'the same stale set: no new event');
    h.run(5_000, () => flowing(true));
    assert.deepEqual(h.stale(), []);
    assert.equal(h.changes.length, 2);
    assert.deepEqual(h.changes[1]?.staleSymbols, [], 'recovered');
    assert.deepEqual(h.silent, []);
  });

  test('a symbol that has not traded today is never stale; yesterday does not count', () => {
    const h = harness(ny('2026-11-24', 15), ALL);
    h.run(10_000, () => [h.ev('trades', 'MSFT'), h.ev('quotes', 'MSFT')]); // the day before
    h.clock.advance(ny('2026-11-25', 10) - h.clock.now());
    h.monitor.connected(h.clock.now());
    h.run(5 * T, () => [h.ev('trades', 'AAPL'), h.ev('quotes', 'AAPL'), h.ev('bars', 'AAPL')]);
    assert.deepEqual(h.stale(), [], 'MSFT traded yesterday only');
    assert.deepEqual(h.silent, []);
  });

  test('a whole channel silent in the regular session → reconnect once per connection, counted from going live', () => {
    const h = harness(ny('2026-11-25', 10), ALL);
    const noQuotes = (): AlpacaEvent[] => [
      h.ev('trades', 'AAPL'),
      h.ev('trades', 'MSFT'),
      h.ev('bars', 'AAPL'),
      h.ev('bars', 'MSFT'),
    ];
    h.run(T - 5_000, noQuotes);
    assert.deepEqual(h.silent, []);
    h.run(5_000, noQuotes);
    assert.deepEqual(h.silent, ['quotes']);
    assert.deepEqual(h.monitor.snapshot()?.staleChannels, ['quotes']);
    assert.equal(h.changes.at(-1)?.staleChannels[0], 'quotes');
    h.run(2 * T, noQuotes);
    assert.deepEqual(h.silent, ['quotes'], 'not again until the stream is live again');
    assert.deepEqual(h.monitor.snapshot()?.staleChannels, ['quotes'], 'still stale: nothing came');
    h.monitor.connected(h.clock.now());
    h.run(T - 5_000, noQuotes);
    assert.deepEqual(h.silent, ['quotes']);
    h.run(5_000, noQuotes);
    assert.deepEqual(h.silent, ['quotes', 'quotes']);
    h.run(5_000, () => [h.ev('quotes', 'AAPL')]);
    assert.deepEqual(h.monitor.snapshot()?.staleChannels, [], 'a quote ends it');
    assert.deepEqual(h.changes.at(-1)?.staleChannels, []);
  });

  test('bars: a symbol that traded gets no bar a threshold after its minute → stale; bars-only silence needs threshold + 60 s', () => {
    const h = harness(
      ny('2026-11-25', 10),
      normaliseSubscriptions({ trades: ['AAPL', 'MSFT'], bars: ['AAPL', 'MSFT'] }),
    );
    // Trades for both each 5 s; bars only for AAPL (one per minute).
    let n = 0;
    h.run(4 * 60_000, () => {
      n += 1;
      return [
        h.ev('trades', 'AAPL'),
        h.ev('trades', 'MSFT'),
        ...(n % 12 === 1 ? [h.ev('bars', 'AAPL')] : []),
      ];
    });
    assert.deepEqual(h.stale(), ['bars:MSFT']);
    assert.deepEqual(h.silent, [], 'bars still flow for AAPL');

    const b = harness(ny('2026-11-25', 10), normaliseSubscriptions({ bars: ['AAPL'] }));
    b.run(T + 55_000, () => []);
    assert.deepEqual(b.silent, []);
    b.run(5_000, () => []);
    assert.deepEqual(b.silent, ['bars']);
  });

  test('nothing is expected on a holiday, a weekend, or before the open; silence counts from the open', () => {
    for (const start of [ny('2026-11-26', 11), ny('2026-11-28', 11), ny('2026-11-25', 2)]) {
      const h = harness(start, ALL);
      h.run(10 * T, () => []);
      assert.deepEqual(h.silent, []);
      assert.deepEqual(h.changes, []);
    }
    // Connected in the pre-market; the open starts the count for the regular session.
    const h = harness(ny('2026-11-25', 9), ALL);
    h.run(30 * 60_000 + T - 5_000, () => []);
    assert.deepEqual(h.silent, [], 'pre-market: whole-channel silence is not a fault');
    h.run(5_000, () => []);
    assert.deepEqual(h.silent, ['trades']);
    assert.deepEqual(h.monitor.snapshot()?.staleChannels, ['trades', 'quotes']);
  });

  test('early close: after 13:00 only the extended session, where a quiet channel is not stale', () => {
    const h = harness(
      ny('2026-11-27', 12, 58),
      normaliseSubscriptions({ trades: ['AAPL', 'MSFT'], quotes: ['AAPL', 'MSFT'] }),
    );
    h.run(2 * 60_000, () => [h.ev('trades', 'AAPL'), h.ev('quotes', 'AAPL')]);
    assert.equal(h.monitor.snapshot()?.phase, 'extended');
    h.run(10 * T, () => []);
    assert.deepEqual(h.silent, []);
    assert.deepEqual(h.stale(), [], 'extended session with the whole channel quiet: nothing stale');
    // In the extended session a symbol is stale only while others still flow.
    h.run(T, () => [h.ev('quotes', 'MSFT')]);
    h.run(T, () => [h.ev('quotes', 'AAPL')]);
    assert.deepEqual(h.stale(), ['quotes:MSFT']);
  });

  test('the listed stale symbols are bounded; counts are complete; removed symbols are forgotten', () => {
    const symbols = Array.from({ length: 120 }, (_, i) => `S${i}`);
    const clock = createManualClock(ny('2026-11-25', 10));
    const reports: FreshnessReport[] = [];
    const m = createFreshnessMonitor({
      feed: 'iex',
      staleAfterMs: T,
      clock,
      phase: (now) => feedPhase(CALENDAR, 'iex', now),
      onChange: (r) => reports.push(r),
      onChannelSilent: () => {},
      maxListed: 10,
    });
    m.setSubscriptions(normaliseSubscriptions({ quotes: symbols }));
    m.connected(clock.now());
    m.observe(
      symbols.map((symbol) => ({
        channel: 'quotes',
        symbol,
        payload: {},
        eventTs: null,
        receivedAtMs: clock.now(),
        source: 'ws',
      })),
    );
    clock.advance(T);
    const r = m.check();
    assert.equal(r.staleSymbols.length, 10);
    assert.equal(r.staleCounts.quotes, 120);
    m.setSubscriptions(normaliseSubscriptions({ quotes: ['S0'] }));
    assert.equal(m.check().staleCounts.quotes, 1);
  });
});
