/**
 * The calendar source: Alpaca's /v2/calendar when it answers (with the key headers, the New York
 * date range), the shipped NYSE rule set with a named reason when it does not, a retry while on
 * the fallback and a daily refresh once it answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CalendarOrigin, createCalendarSource } from '../../../../forwarder/alpaca/calendar-source.ts';
import { newYorkToUtcMs } from '../../../../forwarder/alpaca/market-calendar.ts';
import type { FetchLike } from '../../../../forwarder/alpaca/rest-client.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

test('fallback named while Alpaca fails; Alpaca calendar (a special closed day) once it answers; daily refresh', async () => {
  // Wednesday 2026-11-25, 12:00 New York: a trading day by the rule set.
  const noon = newYorkToUtcMs('2026-11-25', 12 * 60);
  const clock = createManualClock(noon);
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const answers: (() => Response)[] = [
    () => new Response('{"message":"internal"}', { status: 500 }),
    // Alpaca knows better than the rule set: the 25th closed (e.g. a national day of mourning).
    () =>
      new Response(
        JSON.stringify([
          { date: '2026-11-24', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000' },
          { date: '2026-11-27', open: '09:30', close: '13:00', session_open: '0400', session_close: '1700' },
        ]),
      ),
    () => new Response('not json'),
  ];
  const fetchFake: FetchLike = async (url, init) => {
    requests.push({ url, headers: init.headers });
    const next = answers.shift();
    assert.ok(next, 'no more answers');
    return next();
  };
  const origins: [CalendarOrigin, string | null][] = [];
  const source = createCalendarSource(
    { tradingUrl: 'https://paper.example/', credentials: { keyId: 'PKX', secretKey: 'SKX' } },
    { logger: silentLogger, clock, fetch: fetchFake, onOrigin: (o, r) => origins.push([o, r]) },
  );
  await source.start();
  assert.equal(requests[0]?.url, 'https://paper.example/v2/calendar?start=2026-11-24&end=2026-12-09');
  assert.equal(requests[0]?.headers['APCA-API-KEY-ID'], 'PKX');
  assert.deepEqual(origins, [['fallback', 'HTTP 500']]);
  assert.equal(source.phase('iex', noon).phase, 'regular', 'the rule set: a normal Wednesday');

  clock.advance(10 * 60_000); // the retry
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(requests.length, 2);
  assert.deepEqual(origins.at(-1), ['alpaca', null]);
  assert.deepEqual(source.origin(), { origin: 'alpaca', reason: null });
  assert.equal(source.phase('iex', clock.now()).phase, 'closed', "Alpaca's calendar has no row for the 25th");

  clock.advance(24 * 3_600_000 - 1);
  assert.equal(requests.length, 2, 'next refresh a day later');
  clock.advance(1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(requests.length, 3);
  assert.deepEqual(origins.at(-1), ['fallback', 'answer is not JSON']);
  source.stop();
});
