import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { tradeUpdate } from '../../sim/alpaca/trade-updates.ts';
import { TestClient } from './ws-client.ts';

describe('alpaca sim: trading stream /stream', () => {
  let sim: AlpacaSim;
  before(async () => {
    sim = await startAlpacaSim({ clock: new ManualClock(), testStream: false });
  });
  after(() => sim.close());

  test('no welcome; listen before auth is unauthorized; legacy auth; listen replaces; updates as binary JSON', async () => {
    const c = new TestClient(sim.urls.trading);
    await c.opened;
    c.send({ action: 'listen', data: { streams: ['trade_updates'] } });
    const first = await c.nextFrame();
    assert.equal(first.binary, true);
    assert.deepEqual(first.value, {
      stream: 'authorization',
      data: { status: 'unauthorized', action: 'listen' },
    });
    c.send({ action: 'authenticate', data: { key_id: 'PKTEST', secret_key: 'SKTEST' } });
    assert.deepEqual((await c.nextFrame()).value, {
      stream: 'authorization',
      data: { status: 'authorized', action: 'authenticate' },
    });
    c.send({ action: 'listen', data: { streams: ['trade_updates', 'bogus'] } });
    assert.deepEqual((await c.nextFrame()).value, {
      stream: 'listening',
      data: { streams: ['trade_updates'] },
    });

    const update = tradeUpdate({
      event: 'fill',
      symbol: 'AAPL',
      qty: '5',
      price: '187.5',
      timestamp: '2026-01-05T15:00:00.123456789Z',
    });
    assert.equal(sim.pushTradeUpdate(update), 1);
    const got = (await c.nextFrame()).value as { stream: string; data: Record<string, unknown> };
    assert.equal(got.stream, 'trade_updates');
    assert.equal(got.data.event, 'fill');
    assert.equal(got.data.price, '187.5');
    assert.equal(got.data.qty, '5');
    assert.equal(typeof got.data.position_qty, 'string');
    assert.equal((got.data.order as Record<string, unknown>).filled_qty, '5');
    assert.equal(got.data.timestamp, '2026-01-05T15:00:00.123456789Z');

    c.send({ action: 'listen', data: { streams: [] } });
    assert.deepEqual((await c.nextFrame()).value, { stream: 'listening', data: { streams: [] } });
    assert.equal(sim.pushTradeUpdate(update), 0);
    await c.close();
  });

  test('current auth form, bad secret is unauthorized, text frames in live mode', async () => {
    const live = await startAlpacaSim({ clock: new ManualClock(), testStream: false, tradingFrames: 'text' });
    try {
      const c = new TestClient(live.urls.trading);
      await c.opened;
      c.send({ action: 'auth', key: 'PKTEST', secret: 'wrong' });
      const bad = await c.nextFrame();
      assert.equal(bad.binary, false);
      assert.deepEqual(bad.value, {
        stream: 'authorization',
        data: { status: 'unauthorized', action: 'authenticate' },
      });
      c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
      assert.deepEqual((await c.nextFrame()).value, {
        stream: 'authorization',
        data: { status: 'authorized', action: 'authenticate' },
      });
      await c.close();
    } finally {
      await live.close();
    }
  });

  test('header auth on the upgrade, then listen works; every event builder yields decimal strings', async () => {
    const c = new TestClient(sim.urls.trading, {
      headers: { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'SKTEST' },
    });
    await c.opened;
    c.send({ action: 'listen', data: { streams: ['trade_updates'] } });
    assert.deepEqual((await c.nextFrame()).value, {
      stream: 'listening',
      data: { streams: ['trade_updates'] },
    });
    for (const event of ['new', 'partial_fill', 'canceled', 'replaced', 'rejected'] as const) {
      sim.pushTradeUpdate(tradeUpdate({ event, symbol: 'MSFT', timestamp: '2026-01-05T15:00:01Z' }));
      const got = (await c.nextFrame()).value as { data: Record<string, unknown> };
      assert.equal(got.data.event, event);
      assert.equal(typeof (got.data.order as Record<string, unknown>).qty, 'string');
      if (event === 'partial_fill') assert.equal(typeof got.data.price, 'string');
    }
    await c.close();
  });

  test("errors are Alpaca's {action:error, data:{error_message}}; tradingError closes after it; heartbeats are one byte 0x01", async () => {
    const c = new TestClient(sim.urls.trading);
    await c.opened;
    c.send({ action: 'bogus' });
    assert.deepEqual((await c.nextFrame()).value, {
      action: 'error',
      data: { error_message: 'invalid syntax' },
    });
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    await c.nextFrame();
    const conn = sim.log.connectionList().find((x) => x.kind === 'trading' && x.closedAt === null);
    assert.ok(conn);
    sim.tradingHeartbeat(conn.id);
    assert.deepEqual(await c.nextFrame(), { binary: true, value: { byte: 1 } });
    sim.tradingError(conn.id, 'access key verification failed');
    assert.deepEqual((await c.nextFrame()).value, {
      action: 'error',
      data: { error_message: 'access key verification failed' },
    });
    assert.equal((await c.closed).code, 1000);
  });

  test('tradingHeartbeatMs sends heartbeats on the sim clock', async () => {
    const clock = new ManualClock();
    const hb = await startAlpacaSim({ clock, testStream: false, tradingHeartbeatMs: 5_000 });
    try {
      const c = new TestClient(hb.urls.trading);
      await c.opened;
      await hb.log.waitForConnection((x) => x.kind === 'trading');
      clock.advance(10_000);
      assert.deepEqual((await c.nextFrame()).value, { byte: 1 });
      assert.deepEqual((await c.nextFrame()).value, { byte: 1 });
      await c.close();
    } finally {
      await hb.close();
    }
  });
});
