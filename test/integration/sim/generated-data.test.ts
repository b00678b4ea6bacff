import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { startAlpacaSim } from '../../sim/alpaca/server.ts';
import { TestClient } from './ws-client.ts';

describe('alpaca sim: FAKEPACA test stream and generated mode', () => {
  test('/v2/test: subscription reply has only trades/quotes/bars; a quote every 5 s and a bar each minute', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 10, 3, 0, 0)); // a Saturday night: always on
    const sim = await startAlpacaSim({ clock });
    try {
      const c = new TestClient(sim.streamUrl('test'));
      await c.login();
      c.send({ action: 'subscribe', quotes: ['FAKEPACA'], bars: ['FAKEPACA'] });
      assert.deepEqual(await c.next(), [
        { T: 'subscription', trades: [], quotes: ['FAKEPACA'], bars: ['FAKEPACA'] },
      ]);
      clock.advance(5_000);
      const [q] = await c.next();
      assert.equal(q?.T, 'q');
      assert.equal(q?.S, 'FAKEPACA');
      clock.advance(55_000);
      const seen: Record<string, unknown>[] = [q as Record<string, unknown>];
      while (!seen.some((m) => m.T === 'b')) seen.push(...(await c.next()));
      assert.equal(seen.filter((m) => m.T === 'q').length, 12);
      const bar = seen.find((m) => m.T === 'b');
      assert.equal(bar?.S, 'FAKEPACA');
      assert.equal(bar?.t, '2026-01-10T03:00:00Z');
      await c.close();
    } finally {
      await sim.close();
    }
  });

  test('generated mode: N events/s over M symbols; bars aggregate the trades sent and match REST', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 15, 0, 0));
    const sim = await startAlpacaSim({ clock, testStream: false, batchSize: 50 });
    try {
      const c = new TestClient(sim.streamUrl('iex'));
      await c.login();
      c.send({
        action: 'subscribe',
        trades: ['*'],
        quotes: ['AAPL', 'MSFT', 'SPY'],
        bars: ['*'],
        updatedBars: ['*'],
        dailyBars: ['*'],
      });
      await c.next();
      const gen = sim.generate({ eventsPerSecond: 200, symbols: ['AAPL', 'MSFT', 'SPY'], rareShare: 0 });
      clock.advance(60_000); // 600 ticks; the one at 15:01:00 first closes the 15:00 bars
      assert.equal(gen.sent, 200 * 60 + 3 + 3);
      const received: Record<string, unknown>[] = [];
      while (!received.some((m) => m.T === 'd' && m.S === 'SPY')) received.push(...(await c.next()));
      const trades = received.filter((m) => m.T === 't' && String(m.t) < '2026-01-05T15:01');
      const quotes = received.filter((m) => m.T === 'q');
      assert.equal(received.filter((m) => m.T === 't').length + quotes.length, 200 * 60);
      for (const symbol of ['AAPL', 'MSFT', 'SPY']) {
        const mine = trades.filter((t) => t.S === symbol);
        const bar = received.find((m) => m.T === 'b' && m.S === symbol);
        assert.ok(bar, symbol);
        assert.equal(bar.t, '2026-01-05T15:00:00Z');
        assert.equal(
          bar.v,
          mine.reduce((n, t) => n + (t.s as number), 0),
        );
        assert.equal(bar.n, mine.length);
        assert.equal(bar.o, mine[0]?.p);
        assert.equal(bar.c, mine.at(-1)?.p);
        const daily = received.find((m) => m.T === 'd' && m.S === symbol);
        assert.equal(daily?.t, '2026-01-05T05:00:00Z');
        const res = await fetch(
          `${sim.urls.rest}/v2/stocks/${symbol}/bars?timeframe=1Min&start=2026-01-05T15:00:00Z`,
          {
            headers: { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'SKTEST' },
          },
        );
        const body = (await res.json()) as { bars: Record<string, unknown>[] };
        const { T: _t, S: _s, ...restForm } = bar;
        assert.deepEqual(body.bars, [restForm]);
      }
      // a late trade for 15:00 arrives after 15:01:30 with the updated bar; REST then serves the updated bar
      clock.advance(30_000);
      gen.stop();
      const more: Record<string, unknown>[] = [];
      while (!more.some((m) => m.T === 'u')) more.push(...(await c.next()));
      const u = more.find((m) => m.T === 'u') as Record<string, unknown>;
      const lateTrade = more.find((m) => m.T === 't' && String(m.t) < '2026-01-05T15:01');
      assert.equal(u.t, '2026-01-05T15:00:00Z');
      assert.ok(lateTrade);
      assert.equal(lateTrade.S, u.S);
      const original = received.find((m) => m.T === 'b' && m.S === u.S) as Record<string, unknown>;
      assert.equal(u.v, (original.v as number) + (lateTrade.s as number));
      assert.equal(u.n, (original.n as number) + 1);
      const res = await fetch(
        `${sim.urls.rest}/v2/stocks/${u.S}/bars?timeframe=1Min&start=2026-01-05T15:00:00Z&end=2026-01-05T15:00:00Z`,
        {
          headers: { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'SKTEST' },
        },
      );
      const { T: _u, S: _us, ...updatedForm } = u;
      assert.deepEqual(((await res.json()) as { bars: unknown[] }).bars, [updatedForm]);
      // timestamps are RFC 3339 with nanosecond fractions, strictly increasing
      const ts = trades.map((t) => String(t.t));
      assert.ok(ts.every((t) => /^2026-01-05T15:00:\d{2}(\.\d{1,9})?Z$/.test(t)));
      await c.close();
    } finally {
      await sim.close();
    }
  });
});
