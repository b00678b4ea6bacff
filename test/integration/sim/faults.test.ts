import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { connectTo, TestClient } from './ws-client.ts';

const AUTHED = [{ T: 'success', msg: 'authenticated' }];

describe('alpaca sim: fault switches', () => {
  let sim: AlpacaSim;
  const clock = new ManualClock();
  before(async () => {
    sim = await startAlpacaSim({ clock, accounts: { PKTEST: { secret: 'SKTEST', connectionLimit: 5 } } });
  });
  after(() => sim.close());

  async function subscribedClient(): Promise<{ client: TestClient; id: number }> {
    const c = await connectTo(sim, sim.streamUrl('iex'));
    assert.deepEqual(await c.client.login(), AUTHED);
    c.client.send({ action: 'subscribe', trades: ['AAPL'] });
    await c.client.next();
    return c;
  }

  test('unknown paths get HTTP 404 on the upgrade; minimal crypto path sends the welcome', async () => {
    const c = new TestClient(`${sim.urls.stream}/v2/nope`);
    assert.equal(await c.unexpectedResponse, 404);
    const crypto = new TestClient(`${sim.urls.stream}/v1beta3/crypto/us`);
    assert.deepEqual(await crypto.next(), [{ T: 'success', msg: 'connected' }]);
    await crypto.close();
    assert.ok(
      sim.log.events.some((e) => e.type === 'upgrade-refused' && e.status === 404 && e.path === '/v2/nope'),
    );
  });

  test('rejectUpgrades answers the next upgrade with 429, then upgrades work again', async () => {
    sim.rejectUpgrades(429, 1);
    const refused = new TestClient(sim.streamUrl('iex'));
    assert.equal(await refused.unexpectedResponse, 429);
    const ok = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await ok.login(), AUTHED);
    await ok.close();
  });

  test('setUpgradeMinInterval: a reconnect faster than the interval on the sim clock gets 429', async () => {
    sim.setUpgradeMinInterval(1_000);
    try {
      const first = new TestClient(sim.urls.trading);
      await first.opened;
      await first.close();
      const tooFast = new TestClient(sim.urls.trading);
      assert.equal(await tooFast.unexpectedResponse, 429);
      clock.advance(1_000);
      const later = new TestClient(sim.urls.trading);
      await later.opened;
      await later.close();
    } finally {
      sim.setUpgradeMinInterval(null);
    }
  });

  test('withholdFromAcks: a subscribe leaves the symbol out of the set and the ack until stopWithholding', async () => {
    sim.withholdFromAcks(['MSFT']);
    try {
      const { client, id } = await connectTo(sim, sim.streamUrl('iex'));
      assert.deepEqual(await client.login(), AUTHED);
      client.send({ action: 'subscribe', trades: ['AAPL', 'MSFT'], quotes: ['MSFT'] });
      const [ack] = (await client.next()) as Record<string, unknown>[];
      assert.deepEqual(ack?.trades, ['AAPL']);
      assert.deepEqual(ack?.quotes, []);
      assert.deepEqual(sim.log.subscriptionsOf(id)?.trades, ['AAPL']);
      sim.stopWithholding();
      client.send({ action: 'subscribe', quotes: ['MSFT'] });
      const [again] = (await client.next()) as Record<string, unknown>[];
      assert.deepEqual(again?.quotes, ['MSFT']);
      assert.deepEqual(again?.trades, ['AAPL']);
      await client.close();
    } finally {
      sim.stopWithholding();
    }
  });

  test('mute stops data but pings are still answered; unmute resumes', async () => {
    const { client, id } = await subscribedClient();
    sim.mute(id);
    const mark = sim.log.mark();
    sim.push([sim.data.trade('AAPL')]);
    assert.equal(sim.log.eventsSince(mark).filter((e) => e.type === 'frame' && e.connId === id).length, 0);
    client.ws.ping();
    await once(client.ws, 'pong');
    sim.mute(id, false);
    sim.push([sim.data.trade('AAPL', { i: 777 })]);
    assert.equal((await client.next())[0]?.i, 777);
    await client.close();
  });

  test('duplicateNextFrame sends the next data frame twice', async () => {
    const { client } = await subscribedClient();
    sim.duplicateNextFrame();
    sim.push([sim.data.trade('AAPL', { i: 1001 })]);
    sim.push([sim.data.trade('AAPL', { i: 1002 })]);
    const frames = [await client.next(), await client.next(), await client.next()];
    assert.deepEqual(
      frames.map((f) => f[0]?.i),
      [1001, 1001, 1002],
    );
    await client.close();
  });

  test('closeConnection sends the given close code; restart drops everyone and forgets the table', async () => {
    const a = await subscribedClient();
    sim.closeConnection(a.id, 4000, 'bye');
    assert.deepEqual(await a.client.closed, { code: 4000, reason: 'bye' });
    assert.equal((await sim.log.waitForClose(a.id)).how, 'server-close');

    const b = await subscribedClient();
    const c = await subscribedClient();
    sim.restart();
    assert.equal((await b.client.closed).code, 1006);
    assert.equal((await c.client.closed).code, 1006);
    const fresh = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await fresh.login(), AUTHED);
    await fresh.close();
  });

  test('pushFrame sends raw frames: unknown types and extra keys reach the client verbatim', async () => {
    const { client, id } = await subscribedClient();
    sim.pushFrame(id, [{ T: 'zz', S: 'AAPL', extra: 1 }]);
    assert.deepEqual(await client.next(), [{ T: 'zz', S: 'AAPL', extra: 1 }]);
    sim.pushFrame(id, '[{"T":"t","S":"AAPL","newKey":true}]');
    assert.deepEqual(await client.next(), [{ T: 't', S: 'AAPL', newKey: true }]);
    await client.close();
  });

  test('pushAt delivers at the scheduled clock time, batching several messages per frame', async () => {
    const { client, id } = await subscribedClient();
    const mark = sim.log.mark();
    sim.pushAt(clock.now() + 5_000, [sim.data.trade('AAPL'), sim.data.trade('AAPL'), sim.data.trade('AAPL')]);
    clock.advance(4_999);
    assert.equal(sim.log.eventsSince(mark).filter((e) => e.type === 'frame' && e.connId === id).length, 0);
    clock.advance(1);
    assert.equal((await client.next()).length, 3);
    await client.close();
  });

  test('slow client: output beyond maxBufferedBytes disconnects with 407', async () => {
    const tiny = await startAlpacaSim({
      clock: new ManualClock(),
      maxBufferedBytes: 0,
      perMessageDeflate: false,
    });
    try {
      const c = await connectTo(tiny, tiny.streamUrl('iex'));
      await c.client.login();
      c.client.send({ action: 'subscribe', trades: ['AAPL'] });
      await c.client.next();
      // pause reading so the server's socket buffer fills
      c.client.ws.pause();
      const big = Array.from({ length: 2000 }, () => tiny.data.trade('AAPL'));
      // keep pushing until the kernel buffers are full and the sim gives up on the client
      const conn = tiny.marketConnection(c.id);
      for (let i = 0; i < 100_000 && conn.open; i++) tiny.push(big, { record: false });
      c.client.ws.resume();
      const close = await tiny.log.waitForClose(c.id);
      assert.equal(close.how, 'server-close');
      assert.ok(tiny.log.messagesOut(c.id).some((m) => m.T === 'error' && m.code === 407));
    } finally {
      await tiny.close();
    }
  });
});
