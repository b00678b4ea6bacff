import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { connectTo, TestClient } from './ws-client.ts';

describe('alpaca sim: welcome, auth, subscribe, data (JSON)', () => {
  let sim: AlpacaSim;
  const clock = new ManualClock();
  before(async () => {
    sim = await startAlpacaSim({
      clock,
      accounts: {
        PKTEST: { secret: 'SKTEST' },
        PKPAID: { secret: 'SKPAID', feeds: ['iex', 'sip'], symbolLimit: null },
      },
    });
  });
  after(() => sim.close());

  test('welcome is the first frame, alone, as a JSON text frame; permessage-deflate is negotiated', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    const f = await c.nextFrame();
    assert.equal(f.binary, false);
    assert.deepEqual(f.value, [{ T: 'success', msg: 'connected' }]);
    assert.match(c.ws.extensions, /permessage-deflate/);
    await c.close();
  });

  test('header auth without the extra authenticated frame when so configured', async () => {
    const quiet = await startAlpacaSim({
      clock: new ManualClock(),
      testStream: false,
      headerAuthSendsAuthenticated: false,
    });
    try {
      const { client, id } = await connectTo(quiet, quiet.streamUrl('iex'), {
        headers: { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'SKTEST' },
      });
      assert.deepEqual(await client.next(), [{ T: 'success', msg: 'connected' }]);
      client.send({ action: 'subscribe', quotes: ['AAPL'] });
      assert.equal((await client.next())[0]?.T, 'subscription');
      assert.equal(quiet.log.connection(id).keyId, 'PKTEST');
      await client.close();
    } finally {
      await quiet.close();
    }
  });

  test('auth, subscribe with set semantics and data for subscribed symbols only', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await c.login(), [{ T: 'success', msg: 'authenticated' }]);
    c.send({ action: 'subscribe', trades: ['AAPL'], quotes: ['AMD'], bars: ['*'] });
    assert.deepEqual(await c.next(), [
      {
        T: 'subscription',
        trades: ['AAPL'],
        quotes: ['AMD'],
        bars: ['*'],
        updatedBars: [],
        dailyBars: [],
        statuses: [],
        lulds: [],
        corrections: ['AAPL'],
        cancelErrors: ['AAPL'],
      },
    ]);
    const conn = [...sim.connections()].at(-1);
    assert.ok(conn);
    sim.push([
      sim.data.trade('MSFT'),
      sim.data.trade('AAPL', { p: 126.55, s: 1, t: '2021-02-22T15:51:44.208Z', i: 96921 }),
      sim.data.quote('AMD'),
      sim.data.quote('AAPL'),
      sim.data.bar('TSLA'),
    ]);
    const frame = await c.next();
    assert.deepEqual(
      frame.map((m) => `${m.T}:${m.S}`),
      ['t:AAPL', 'q:AMD', 'b:TSLA'],
    );
    assert.deepEqual(Object.keys(frame[0] ?? {}), ['T', 'S', 'i', 'x', 'p', 's', 'c', 'z', 't']);
    assert.equal(frame[0]?.t, '2021-02-22T15:51:44.208Z');
    c.send({ action: 'unsubscribe', bars: ['*'], trades: [] });
    const sub = (await c.next())[0];
    assert.deepEqual(sub?.bars, []);
    assert.deepEqual(sub?.trades, ['AAPL']);
    await c.close();
  });

  test('auth sent before the welcome is read is accepted', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    await c.opened;
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await c.next(), [{ T: 'success', msg: 'connected' }]);
    assert.deepEqual(await c.next(), [{ T: 'success', msg: 'authenticated' }]);
    await c.close();
  });
});
