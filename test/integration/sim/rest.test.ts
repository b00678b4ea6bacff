import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { TestClient } from './ws-client.ts';

const HEADERS = { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'SKTEST' };
const T0 = Date.UTC(2026, 0, 5, 14, 30);

describe('alpaca sim: historical REST consistent with the stream', () => {
  let sim: AlpacaSim;
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 15, 0, 30));
  const streamed: Record<string, unknown>[] = [];
  before(async () => {
    sim = await startAlpacaSim({
      clock,
      testStream: false,
      accounts: {
        PKTEST: { secret: 'SKTEST' },
        PKLIMIT: { secret: 'SKLIMIT', restRequestsPerMinute: 2 },
        PKPAID: { secret: 'SKPAID', feeds: ['iex', 'sip'], recentSip: true },
      },
    });
    const c = new TestClient(sim.streamUrl('iex'));
    await c.login();
    c.send({ action: 'subscribe', bars: ['*'] });
    await c.next();
    for (let m = 0; m < 30; m++) {
      const t = new Date(T0 + m * 60_000).toISOString();
      sim.push(['TSLA', 'AAPL', 'MSFT'].map((s) => sim.data.bar(s, { t })));
      streamed.push(...(await c.next()));
    }
    await c.close();
  });
  after(() => sim.close());

  async function get(path: string, headers: Record<string, string> = HEADERS) {
    const res = await fetch(`${sim.urls.rest}${path}`, { headers });
    const text = await res.text();
    return {
      status: res.status,
      text,
      body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null,
      res,
    };
  }

  test('pages follow next_page_token to the end, ordered by symbol then time, and equal the streamed bars', async () => {
    const q =
      'symbols=TSLA,AAPL,MSFT&timeframe=1Min&start=2026-01-05T14:30:00Z&end=2026-01-05T15:00:00Z&limit=7';
    const seen: { S: string; bar: Record<string, unknown> }[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const r = await get(
        `/v2/stocks/bars?${q}${token === null ? '' : `&page_token=${encodeURIComponent(token)}`}`,
      );
      assert.equal(r.status, 200);
      pages++;
      const count = Object.values(r.body.bars as Record<string, unknown[]>).reduce((n, l) => n + l.length, 0);
      token = r.body.next_page_token;
      assert.equal(count, token === null ? 90 - 7 * (pages - 1) : 7);
      for (const [S, bars] of Object.entries(r.body.bars as Record<string, Record<string, unknown>[]>)) {
        for (const bar of bars) seen.push({ S, bar });
      }
    } while (token !== null);
    assert.equal(pages, 13);
    const expected = [...streamed]
      .sort((a, b) => String(a.S).localeCompare(String(b.S)) || String(a.t).localeCompare(String(b.t)))
      .map(({ T: _t, S, ...bar }) => ({ S, bar }));
    assert.deepEqual(seen, expected);
  });

  test('single-symbol form, desc sort, an updated bar replaces its minute, 5Min aggregation', async () => {
    const r = await get(
      '/v2/stocks/AAPL/bars?timeframe=1Min&start=2026-01-05T14:30:00Z&end=2026-01-05T14:34:00Z&sort=desc',
    );
    assert.equal(r.body.symbol, 'AAPL');
    assert.equal(r.body.next_page_token, null);
    assert.deepEqual(
      r.body.bars.map((b: { t: string }) => b.t),
      ['14:34', '14:33', '14:32', '14:31', '14:30'].map((hm) => `2026-01-05T${hm}:00Z`),
    );
    sim.push([sim.data.updatedBar('AAPL', { t: '2026-01-05T14:31:00Z', v: 123456 })]);
    const after1 = await get(
      '/v2/stocks/AAPL/bars?timeframe=1Min&start=2026-01-05T14:31:00Z&end=2026-01-05T14:31:00Z',
    );
    assert.equal(after1.body.bars.length, 1);
    assert.equal(after1.body.bars[0].v, 123456);
    const five = await get(
      '/v2/stocks/bars?symbols=MSFT&timeframe=5Min&start=2026-01-05T14:30:00Z&end=2026-01-05T14:59:00Z',
    );
    const minutes = streamed.filter((b) => b.S === 'MSFT' && String(b.t) < '2026-01-05T14:35');
    assert.equal(five.body.bars.MSFT.length, 6);
    assert.equal(five.body.bars.MSFT[0].t, '2026-01-05T14:30:00Z');
    assert.equal(
      five.body.bars.MSFT[0].v,
      minutes.reduce((n, b) => n + (b.v as number), 0),
    );
  });

  test('trades and quotes the stream emitted are retrievable; corrections apply, cancels are flagged u:canceled', async () => {
    const t1 = sim.data.trade('AMD', { t: '2026-01-05T14:40:00.123456789Z', i: 5001 });
    const t2 = sim.data.trade('AMD', { t: '2026-01-05T14:40:01Z', i: 5002 });
    sim.push([t1, t2, sim.data.quote('AMD', { t: '2026-01-05T14:40:02Z' })]);
    sim.push([sim.data.correction('AMD', { oi: 5001, ci: 5003, cp: 99.5, cs: 10, cc: ['@'] })]);
    sim.push([sim.data.cancelError('AMD', { i: 5002, a: 'C' })]);
    const trades = await get(
      '/v2/stocks/trades?symbols=AMD&start=2026-01-05T14:00:00Z&end=2026-01-05T15:00:00Z',
    );
    assert.deepEqual(
      trades.body.trades.AMD.map((t: Record<string, unknown>) => [t.i, t.p, t.s, t.t, t.u]),
      [
        [5003, 99.5, 10, '2026-01-05T14:40:00.123456789Z', undefined],
        [5002, t2.p, t2.s, '2026-01-05T14:40:01Z', 'canceled'],
      ],
    );
    const quotes = await get('/v2/stocks/AMD/quotes?start=2026-01-05');
    assert.equal(quotes.body.quotes.length, 1);
    assert.deepEqual(Object.keys(quotes.body.quotes[0]).sort(), [
      'ap',
      'as',
      'ax',
      'bp',
      'bs',
      'bx',
      'c',
      't',
      'z',
    ]);
  });

  test('403 without or with wrong credentials, 400/422 for bad parameters, 404 for unknown paths', async () => {
    const noAuth = await get('/v2/stocks/bars?symbols=AAPL&timeframe=1Min', {});
    assert.equal(noAuth.status, 403);
    assert.deepEqual(noAuth.body, { message: 'forbidden' });
    assert.equal(
      (await get('/v2/stocks/bars?symbols=AAPL&timeframe=1Min', { ...HEADERS, 'APCA-API-SECRET-KEY': 'x' }))
        .status,
      403,
    );
    const missing = await get('/v2/stocks/bars?timeframe=1Min');
    assert.equal(missing.status, 400);
    for (const bad of [
      'limit=0',
      'limit=10001',
      'limit=abc',
      'timeframe=7Day',
      'start=yesterday',
      'sort=up',
      'page_token=%25%25',
      'feed=nasdaq',
    ]) {
      const params = new URLSearchParams({ symbols: 'AAPL', timeframe: '1Min' });
      const [k, v] = bad.split('=') as [string, string];
      params.set(k, decodeURIComponent(v));
      const r = await get(`/v2/stocks/bars?${params}`);
      assert.equal(r.status, 422, bad);
      assert.equal(r.body.code, 42210000);
      assert.match(r.body.message, new RegExp(bad.split('=')[0] as string));
    }
    assert.equal((await get('/v2/stocks/AAPL/candles')).status, 404);
    const badEscape = await get('/v2/stocks/%E0%A4%A/bars?timeframe=1Min');
    assert.equal(badEscape.status, 422);
    assert.match(badEscape.body.message, /invalid symbol/);
  });

  test('recent SIP data is refused on the free plan (403) and served on a paid one', async () => {
    const end = new Date(clock.now()).toISOString();
    const free = await get(`/v2/stocks/bars?symbols=AAPL&timeframe=1Min&feed=sip&end=${end}`);
    assert.equal(free.status, 403);
    assert.deepEqual(free.body, { message: 'subscription does not permit querying recent SIP data' });
    const old = new Date(clock.now() - 16 * 60_000).toISOString();
    assert.equal((await get(`/v2/stocks/bars?symbols=AAPL&timeframe=1Min&feed=sip&end=${old}`)).status, 200);
    const paid = await get(`/v2/stocks/bars?symbols=AAPL&timeframe=1Min&feed=sip&end=${end}`, {
      'APCA-API-KEY-ID': 'PKPAID',
      'APCA-API-SECRET-KEY': 'SKPAID',
    });
    assert.equal(paid.status, 200);
  });

  test('429 "too many requests." past the per-minute budget, with X-Ratelimit headers; next minute works', async () => {
    const h = { 'APCA-API-KEY-ID': 'PKLIMIT', 'APCA-API-SECRET-KEY': 'SKLIMIT' };
    const q = '/v2/stocks/bars?symbols=AAPL&timeframe=1Min';
    assert.equal((await get(q, h)).status, 200);
    const second = await get(q, h);
    assert.equal(second.res.headers.get('x-ratelimit-remaining'), '0');
    const third = await get(q, h);
    assert.equal(third.status, 429);
    assert.equal(third.text, 'too many requests.');
    assert.equal(third.res.headers.get('x-ratelimit-limit'), '2');
    clock.advance(60_000);
    assert.equal((await get(q, h)).status, 200);
  });
});
