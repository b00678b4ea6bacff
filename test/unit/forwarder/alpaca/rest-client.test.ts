import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backfillBars,
  backfillWindow,
  createGapFiller,
  fillGap,
  gapWindow,
  runStartupBackfill,
} from '../../../../forwarder/alpaca/backfill.ts';
import {
  AlpacaRestError,
  createRestClient,
  type FetchLike,
} from '../../../../forwarder/alpaca/rest-client.ts';
import { normaliseSubscriptions } from '../../../../forwarder/alpaca/subscriptions.ts';
import type { AlpacaEvent } from '../../../../forwarder/alpaca/types.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

interface Call {
  url: URL;
  headers: Record<string, string>;
}

function fakeFetch(responses: (call: Call, n: number) => Response): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call = { url: new URL(url), headers: init.headers };
      calls.push(call);
      return responses(call, calls.length);
    },
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const bar = (t: string, c: number) => ({ t, o: 1, h: 2, l: 0.5, c, v: 10, n: 2, vw: 1.1 });

function client(fetch: FetchLike, clock = createManualClock()) {
  return createRestClient(
    {
      dataUrl: 'https://data.example/',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      feed: 'iex',
      maxRetries: 3,
      pageLimit: 2,
    },
    { logger: silentLogger, fetch, clock, random: () => 0 },
  );
}

/** One symbol per request; AAPL answers one bar, MSFT answers 403. */
function restWhereMsftIsForbidden() {
  const f = fakeFetch((call) =>
    call.url.searchParams.get('symbols') === 'MSFT'
      ? json({ message: 'forbidden' }, 403)
      : json({ bars: { AAPL: [bar('2026-01-05T15:00:00Z', 1)] }, next_page_token: null }),
  );
  return createRestClient(
    {
      dataUrl: 'https://data.example',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      feed: 'iex',
      symbolsPerRequest: 1,
    },
    { logger: silentLogger, fetch: f.fetch, clock: createManualClock(), random: () => 0 },
  );
}

describe('REST client', () => {
  test('bars: headers, query, pagination to the end, events with source rest and WS-shaped payloads', async () => {
    const f = fakeFetch((call) => {
      const token = call.url.searchParams.get('page_token');
      if (token === null)
        return json({
          bars: { AAPL: [bar('2026-01-05T15:00:00Z', 1), bar('2026-01-05T15:01:00Z', 2)] },
          next_page_token: 'p2',
        });
      return json({ bars: { MSFT: [bar('2026-01-05T15:00:00Z', 3)] }, next_page_token: null });
    });
    const events = await client(f.fetch).getBars({
      symbols: ['aapl', 'MSFT', '*'],
      start: '2026-01-05T15:00:00Z',
      end: '2026-01-05T15:05:00Z',
    });
    assert.equal(f.calls.length, 2);
    const first = f.calls[0];
    assert.ok(first);
    assert.equal(first.url.pathname, '/v2/stocks/bars');
    assert.equal(first.headers['APCA-API-KEY-ID'], 'PKTEST');
    assert.equal(first.headers['APCA-API-SECRET-KEY'], 'SKTEST');
    const q = Object.fromEntries(first.url.searchParams);
    assert.deepEqual(
      {
        symbols: q.symbols,
        timeframe: q.timeframe,
        start: q.start,
        end: q.end,
        limit: q.limit,
        feed: q.feed,
      },
      {
        symbols: 'AAPL,MSFT',
        timeframe: '1Min',
        start: '2026-01-05T15:00:00Z',
        end: '2026-01-05T15:05:00Z',
        limit: '2',
        feed: 'iex',
      },
    );
    assert.equal(f.calls[1]?.url.searchParams.get('page_token'), 'p2');
    assert.equal(f.calls[1]?.url.searchParams.get('symbols'), 'AAPL,MSFT');
    assert.deepEqual(
      events.map((e) => [e.symbol, e.eventTs, e.channel, e.source, e.payload.T, e.payload.S, e.payload.c]),
      [
        ['AAPL', '2026-01-05T15:00:00Z', 'bars', 'rest', 'b', 'AAPL', 1],
        ['AAPL', '2026-01-05T15:01:00Z', 'bars', 'rest', 'b', 'AAPL', 2],
        ['MSFT', '2026-01-05T15:00:00Z', 'bars', 'rest', 'b', 'MSFT', 3],
      ],
    );
  });

  test('429 is retried after Retry-After (on the injected clock), then succeeds', async () => {
    const clock = createManualClock();
    const f = fakeFetch((_c, n) =>
      n === 1
        ? new Response('too many requests.', { status: 429, headers: { 'retry-after': '3' } })
        : json({ trades: { AAPL: [] }, next_page_token: null }),
    );
    const p = client(f.fetch, clock).getTrades({ symbols: ['AAPL'], start: 'a', end: 'b' });
    while (f.calls.length < 1 || clock.pendingCount() === 0) await new Promise((r) => setImmediate(r));
    assert.equal(clock.nextDueAt(), clock.now() + 3_000);
    clock.advance(3_000);
    assert.deepEqual(await p, []);
    assert.equal(f.calls.length, 2);
    assert.equal(f.calls[1]?.url.pathname, '/v2/stocks/trades');
  });

  test('retries are bounded', async () => {
    const clock = createManualClock();
    const f = fakeFetch(() => new Response('oops', { status: 503 }));
    const p = client(f.fetch, clock).getBars({ symbols: ['AAPL'], start: 'a', end: 'b' });
    const settled = p.then(
      () => null,
      (e: unknown) => e,
    );
    for (let i = 0; i < 3; i++) {
      while (clock.pendingCount() === 0) await new Promise((r) => setImmediate(r));
      clock.advance((clock.nextDueAt() ?? clock.now()) - clock.now());
    }
    const err = await settled;
    assert.ok(err instanceof AlpacaRestError);
    assert.equal(err.reason, 'alpaca_rest_503');
    assert.equal(f.calls.length, 4);
  });

  test('403 and 422 are classified and not retried; no secret in the message', async () => {
    for (const [status, body, reason, errorClass] of [
      [403, { message: 'forbidden' }, 'alpaca_rest_403_forbidden', 'alpaca_auth'],
      [
        403,
        { message: 'subscription does not permit querying recent SIP data' },
        'alpaca_rest_403_subscription',
        'alpaca_auth',
      ],
      [422, { message: 'invalid start' }, 'alpaca_rest_422_invalid_parameter', 'unknown'],
    ] as const) {
      const f = fakeFetch(() => json(body, status));
      await assert.rejects(
        client(f.fetch).getBars({ symbols: ['AAPL'], start: 'a', end: 'b' }),
        (e: unknown) => {
          assert.ok(e instanceof AlpacaRestError);
          assert.equal(e.reason, reason);
          assert.equal(e.errorClass, errorClass);
          assert.ok(!e.message.includes('SKTEST'));
          return true;
        },
      );
      assert.equal(f.calls.length, 1);
    }
  });

  test('many symbols are fetched in groups, each paged to the end', async () => {
    const f = fakeFetch((call) => {
      const syms = (call.url.searchParams.get('symbols') ?? '').split(',');
      return json({
        bars: Object.fromEntries(syms.map((s) => [s, [bar('2026-01-05T15:00:00Z', 1)]])),
        next_page_token: null,
      });
    });
    const rest = createRestClient(
      {
        dataUrl: 'https://data.example',
        credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
        feed: 'sip',
        symbolsPerRequest: 2,
      },
      { logger: silentLogger, fetch: f.fetch, clock: createManualClock() },
    );
    const events = await rest.getBars({ symbols: ['A', 'B', 'C', 'D', 'E'], start: 'a', end: 'b' });
    assert.deepEqual(
      f.calls.map((c) => c.url.searchParams.get('symbols')),
      ['A,B', 'C,D', 'E'],
    );
    assert.equal(f.calls[0]?.url.searchParams.get('feed'), 'sip');
    assert.deepEqual(
      events.map((e) => e.symbol),
      ['A', 'B', 'C', 'D', 'E'],
    );
  });

  test('single-symbol response shape is accepted; a bad shape is a classified error', async () => {
    const ok = fakeFetch(() =>
      json({ bars: [bar('2026-01-05T15:00:00Z', 1)], symbol: 'AAPL', next_page_token: null }),
    );
    const ev = await client(ok.fetch).getBars({ symbols: ['AAPL'], start: 'a', end: 'b' });
    assert.equal(ev[0]?.symbol, 'AAPL');
    const bad = fakeFetch(() => json({ bars: 7 }));
    await assert.rejects(
      client(bad.fetch).getBars({ symbols: ['AAPL'], start: 'a', end: 'b' }),
      /neither an object/,
    );
  });

  test('an item that is not an object fails the request loudly instead of being skipped', async () => {
    for (const body of [
      { bars: { AAPL: [bar('2026-01-05T15:00:00Z', 1), null] } },
      { bars: [7], symbol: 'AAPL' },
    ]) {
      const f = fakeFetch(() => json({ ...body, next_page_token: null }));
      await assert.rejects(
        client(f.fetch).getBars({ symbols: ['AAPL'], start: 'a', end: 'b' }),
        (err: unknown) =>
          err instanceof AlpacaRestError &&
          err.reason === 'alpaca_rest_unexpected_shape' &&
          /bars\.AAPL\[\d\] is not an object/.test(err.message),
      );
    }
  });
});

describe('backfill and gap-fill', () => {
  test('windows', () => {
    assert.deepEqual(backfillWindow(Date.UTC(2026, 0, 5, 15, 30), 30), {
      start: '2026-01-05T15:00:00.000Z',
      end: '2026-01-05T15:30:00.000Z',
    });
    assert.deepEqual(
      gapWindow({ fromMs: Date.UTC(2026, 0, 5, 15, 3, 20), toMs: Date.UTC(2026, 0, 5, 15, 7, 1) }),
      {
        start: '2026-01-05T15:02:00.000Z',
        end: '2026-01-05T15:07:01.000Z',
      },
    );
  });

  test('backfill asks bars for the bars subscription; gap-fill adds trades when enabled; wildcard skipped', async () => {
    const f = fakeFetch((call) => {
      const kind = call.url.pathname.endsWith('bars') ? 'bars' : 'trades';
      const item =
        kind === 'bars'
          ? bar('2026-01-05T15:00:00Z', 1)
          : { t: '2026-01-05T15:00:01Z', x: 'V', p: 1, s: 1, i: 9 };
      return json({ [kind]: { AAPL: [item] }, next_page_token: null });
    });
    const rest = client(f.fetch);
    const subs = normaliseSubscriptions({ trades: ['AAPL'], bars: ['AAPL', '*'] });
    const b = await backfillBars(rest, subs, Date.UTC(2026, 0, 5, 15, 30), 10);
    assert.equal(b.length, 1);
    assert.equal(f.calls[0]?.url.searchParams.get('symbols'), 'AAPL');
    const g = await fillGap(
      rest,
      subs,
      { fromMs: Date.UTC(2026, 0, 5, 15, 0), toMs: Date.UTC(2026, 0, 5, 15, 1) },
      { trades: true },
    );
    assert.deepEqual(
      g.map((e) => e.channel),
      ['bars', 'trades'],
    );
    assert.equal(g[1]?.payload.T, 't');
  });

  test('gap filler delivers events and reports failures', async () => {
    let fail = false;
    const f = fakeFetch(() =>
      fail
        ? json({ message: 'forbidden' }, 403)
        : json({ bars: { AAPL: [bar('2026-01-05T15:00:00Z', 1)] }, next_page_token: null }),
    );
    const delivered: AlpacaEvent[] = [];
    const failures: string[] = [];
    const filler = createGapFiller({
      rest: client(f.fetch),
      logger: silentLogger,
      subscriptions: () => normaliseSubscriptions({ bars: ['AAPL'] }),
      onEvents: (b) => delivered.push(...b),
      onFailure: (_g, e) => failures.push(e.reason),
    });
    filler.fill({ fromMs: 0, toMs: 60_000 });
    await filler.idle();
    assert.equal(delivered.length, 1);
    fail = true;
    filler.fill({ fromMs: 0, toMs: 60_000 });
    await filler.idle();
    assert.deepEqual(failures, ['alpaca_rest_403_forbidden']);
  });

  test('gap filler delivers the bars it fetched when the trades request fails, and reports the failure', async () => {
    const f = fakeFetch((call) =>
      call.url.pathname.endsWith('trades')
        ? json({ message: 'forbidden' }, 403)
        : json({ bars: { AAPL: [bar('2026-01-05T15:00:00Z', 1)] }, next_page_token: null }),
    );
    const delivered: AlpacaEvent[] = [];
    const failures: string[] = [];
    const filler = createGapFiller({
      rest: client(f.fetch),
      logger: silentLogger,
      subscriptions: () => normaliseSubscriptions({ bars: ['AAPL'], trades: ['AAPL'] }),
      onEvents: (b) => delivered.push(...b),
      onFailure: (_g, e) => failures.push(e.reason),
      trades: true,
    });
    filler.fill({ fromMs: 0, toMs: 60_000 });
    await filler.idle();
    assert.deepEqual(
      delivered.map((e) => e.channel),
      ['bars'],
    );
    assert.deepEqual(failures, ['alpaca_rest_403_forbidden']);
  });

  test('gap filler delivers the symbol groups fetched before a later group failed', async () => {
    const rest = restWhereMsftIsForbidden();
    const delivered: AlpacaEvent[] = [];
    const failures: string[] = [];
    const filler = createGapFiller({
      rest,
      logger: silentLogger,
      subscriptions: () => normaliseSubscriptions({ bars: ['AAPL', 'MSFT'] }),
      onEvents: (b) => delivered.push(...b),
      onFailure: (_g, e) => failures.push(e.reason),
    });
    filler.fill({ fromMs: 0, toMs: 60_000 });
    await filler.idle();
    assert.deepEqual(
      delivered.map((e) => e.symbol),
      ['AAPL'],
    );
    assert.deepEqual(failures, ['alpaca_rest_403_forbidden']);
  });

  test('start-up backfill delivers the symbol groups fetched before a later group failed', async () => {
    const rest = restWhereMsftIsForbidden();
    const delivered: AlpacaEvent[] = [];
    await runStartupBackfill({
      rest,
      logger: silentLogger,
      subscriptions: normaliseSubscriptions({ bars: ['AAPL', 'MSFT'] }),
      nowMs: Date.UTC(2026, 0, 5, 15, 30),
      lookbackMinutes: 60,
      onEvents: (b) => delivered.push(...b),
    });
    assert.deepEqual(
      delivered.map((e) => [e.symbol, e.source]),
      [['AAPL', 'rest']],
    );
  });
});
