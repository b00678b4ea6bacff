/**
 * REST against the simulator: pagination to the end, start-up backfill and gap-fill return the
 * bars the stream sent (including the ones the stream missed while disconnected).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { backfillBars, createGapFiller } from '../../../forwarder/alpaca/backfill.ts';
import { AlpacaRestError, createRestClient } from '../../../forwarder/alpaca/rest-client.ts';
import { normaliseSubscriptions } from '../../../forwarder/alpaca/subscriptions.ts';
import type { AlpacaEvent } from '../../../forwarder/alpaca/types.ts';
import { type AlpacaSim, ManualClock, startAlpacaSim } from '../../sim/alpaca/index.ts';
import { silentLogger } from '../../support/silent-logger.ts';
import { clockOf, simStream } from './sim-harness.ts';

const sims: AlpacaSim[] = [];
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

const at = (hhmmss: string): number => Date.parse(`2026-01-05T${hhmmss}Z`);
const barKey = (e: AlpacaEvent): string =>
  `${e.symbol}|${e.eventTs}|${['o', 'h', 'l', 'c', 'v'].map((k) => e.payload[k]).join(',')}`;

test('pagination, backfill and gap-fill return the bars the stream sent', async () => {
  const clock = new ManualClock(at('15:00:00'));
  const sim = await startAlpacaSim({ clock, testStream: false, lingerMs: 0 });
  sims.push(sim);
  const subs = normaliseSubscriptions({ bars: ['AAPL', 'MSFT'] });
  const h = simStream(
    clock,
    { streamUrl: sim.urls.stream, subscriptions: subs, reconnect: { baseMs: 60_000, maxMs: 120_000 } },
    () => 0,
  );
  const rest = createRestClient(
    {
      dataUrl: sim.urls.rest,
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      feed: 'iex',
      pageLimit: 3,
    },
    { logger: silentLogger, clock: clockOf(clock) },
  );
  h.stream.start();
  const c1 = await sim.log.waitForConnection();
  await h.states.waitFor((s) => s.status === 'healthy');

  // Minutes 15:00..15:04 arrive live, one bar per symbol each minute (each awaited before the
  // clock moves on, as real time would let it).
  for (let m = 0; m < 5; m++) {
    clock.set(at(`15:0${m + 1}:01`));
    const t = `2026-01-05T15:0${m}:00Z`;
    sim.push([sim.data.bar('AAPL', { t }), sim.data.bar('MSFT', { t })]);
    await h.events.waitFor((e) => e.eventTs === t && e.symbol === 'MSFT');
  }
  const live = h.events.all.filter((e) => e.channel === 'bars');
  assert.equal(live.length, 10);

  // Start-up backfill over the same window: every live bar, found across several pages.
  const restMark = sim.log.mark();
  const backfilled = await backfillBars(rest, subs, at('15:05:01'), 6);
  assert.deepEqual(backfilled.map(barKey).sort(), live.map(barKey).sort());
  assert.ok(backfilled.every((e) => e.source === 'rest' && e.channel === 'bars' && e.payload.T === 'b'));
  const calls = sim.log.events.slice(restMark).filter((e) => e.type === 'rest');
  assert.equal(calls.length, 4, 'ten bars in pages of three');
  assert.ok(calls.every((e) => e.type === 'rest' && e.status === 200));

  // Drop; the 15:05 bars are sent while the forwarder is away.
  clock.set(at('15:05:40'));
  sim.drop(c1.id);
  const rec = await h.states.waitFor((s) => s.status === 'reconnect');
  clock.set(at('15:06:01'));
  sim.push([
    sim.data.bar('AAPL', { t: '2026-01-05T15:05:00Z' }),
    sim.data.bar('MSFT', { t: '2026-01-05T15:05:00Z' }),
  ]);
  clock.set(rec.nextAttemptAtMs ?? 0);
  await h.states.waitFor((s) => s.status === 'healthy', h.states.all.indexOf(rec));
  const gap = await h.gaps.waitFor(() => true);
  assert.equal(gap.fromMs, at('15:05:01'));
  assert.equal(gap.toMs, rec.nextAttemptAtMs);

  const filled: AlpacaEvent[] = [];
  const failures: string[] = [];
  const filler = createGapFiller({
    rest,
    logger: silentLogger,
    subscriptions: () => h.stream.subscriptions().desired,
    onEvents: (b) => filled.push(...b),
    onFailure: (_g, e) => failures.push(e.reason),
  });
  filler.fill(gap);
  await filler.idle();
  assert.deepEqual(failures, []);
  const filledKeys = new Set(filled.map(barKey));
  const liveKeys = new Set(live.map(barKey));
  const newOnes = filled.filter((e) => !liveKeys.has(barKey(e)));
  assert.deepEqual(newOnes.map((e) => `${e.symbol}|${e.eventTs}`).sort(), [
    'AAPL|2026-01-05T15:05:00Z',
    'MSFT|2026-01-05T15:05:00Z',
  ]);
  // The overlap (the minute before the last live data) is there too; the pipeline dedups it.
  assert.ok(live.filter((e) => e.eventTs === '2026-01-05T15:04:00Z').every((e) => filledKeys.has(barKey(e))));
  await h.stream.stop();
});

test('REST errors are classified: wrong keys → alpaca_auth, not retried', async () => {
  const clock = new ManualClock(at('15:00:00'));
  const sim = await startAlpacaSim({ clock, testStream: false });
  sims.push(sim);
  const rest = createRestClient(
    { dataUrl: sim.urls.rest, credentials: { keyId: 'PKTEST', secretKey: 'nope' }, feed: 'iex' },
    { logger: silentLogger, clock: clockOf(clock) },
  );
  await assert.rejects(
    rest.getBars({ symbols: ['AAPL'], start: '2026-01-05T14:00:00Z', end: '2026-01-05T15:00:00Z' }),
    (e: unknown) => e instanceof AlpacaRestError && e.errorClass === 'alpaca_auth' && e.status === 403,
  );
  assert.equal(sim.log.events.filter((e) => e.type === 'rest').length, 1);
});

test('gap fill with quotes switched on fetches /v2/stocks/quotes; REST trades keep a canceled one as its cancel', async () => {
  const clock = new ManualClock(at('15:10:00'));
  const sim = await startAlpacaSim({ clock, testStream: false });
  sims.push(sim);
  const rest = createRestClient(
    {
      dataUrl: sim.urls.rest,
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      feed: 'iex',
      pageLimit: 2,
    },
    { logger: silentLogger, clock: clockOf(clock) },
  );
  sim.record([
    sim.data.trade('AAPL', { t: '2026-01-05T15:05:00.5Z', i: 11, x: 'V' }),
    sim.data.trade('AAPL', { t: '2026-01-05T15:05:01Z', i: 12, x: 'V' }),
    sim.data.quote('AAPL', { t: '2026-01-05T15:05:02.000000001Z' }),
    sim.data.quote('AAPL', { t: '2026-01-05T15:05:03Z' }),
    sim.data.quote('AAPL', { t: '2026-01-05T15:05:04Z' }),
  ]);
  sim.record([sim.data.cancelError('AAPL', { i: 12, x: 'V', a: 'C', t: '2026-01-05T15:05:09Z' })]);
  const delivered: AlpacaEvent[] = [];
  const filler = createGapFiller({
    rest,
    logger: silentLogger,
    subscriptions: () => normaliseSubscriptions({ trades: ['AAPL'], quotes: ['AAPL'] }),
    onEvents: (b) => delivered.push(...b),
    trades: true,
    quotes: true,
  });
  filler.fill({ fromMs: at('15:05:00'), toMs: at('15:06:00') });
  await filler.idle();
  assert.deepEqual(
    delivered.map((e) => [e.channel, e.payload.T, e.eventTs, e.source]),
    [
      ['trades', 't', '2026-01-05T15:05:00.5Z', 'rest'],
      ['trades', 'x', '2026-01-05T15:05:01Z', 'rest'],
      ['quotes', 'q', '2026-01-05T15:05:02.000000001Z', 'rest'],
      ['quotes', 'q', '2026-01-05T15:05:03Z', 'rest'],
      ['quotes', 'q', '2026-01-05T15:05:04Z', 'rest'],
    ],
  );
  assert.equal(delivered[1]?.payload.a, 'C');
  assert.equal(delivered[1]?.payload.u, 'canceled');
});
