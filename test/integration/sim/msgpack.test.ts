import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { TestClient } from './ws-client.ts';

describe('alpaca sim: msgpack', () => {
  let sim: AlpacaSim;
  before(async () => {
    sim = await startAlpacaSim({
      clock: new ManualClock(),
      accounts: { PKTEST: { secret: 'SKTEST' }, PKPAID: { secret: 'SKPAID', symbolLimit: null } },
    });
  });
  after(() => sim.close());

  test('every frame is binary msgpack, T first, timestamps as ext -1 in the compact forms Alpaca uses', async () => {
    const c = new TestClient(sim.streamUrl('iex'), { msgpack: true });
    await c.opened;
    const welcome = await c.nextFrame();
    assert.equal(welcome.binary, true);
    assert.deepEqual(welcome.value, [{ T: 'success', msg: 'connected' }]);
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    const auth = await c.nextFrame();
    assert.equal(auth.binary, true);
    assert.deepEqual(auth.value, [{ T: 'success', msg: 'authenticated' }]);
    c.send({ action: 'subscribe', quotes: ['AMD'], bars: ['SPY'] });
    assert.equal((await c.next())[0]?.T, 'subscription');

    sim.push([
      sim.data.quote('AMD', { t: '2021-02-22T15:51:45.335689322Z', bp: 87.66, bs: 1 }),
      sim.data.bar('SPY', { t: '2021-02-22T19:15:00Z' }),
    ]);
    const frame = await c.nextFrame();
    assert.equal(frame.binary, true);
    const [q, b] = frame.value as Record<string, unknown>[];
    assert.ok(q && b);
    assert.equal(Object.keys(q)[0], 'T');
    assert.equal(q.T, 'q');
    // Default width 'compact': 64-bit when there are nanoseconds, 32-bit for whole seconds.
    assert.deepEqual(q.t, { sec: Date.UTC(2021, 1, 22, 15, 51, 45) / 1000, nsec: 335689322, width: 64 });
    assert.equal(q.bp, 87.66);
    assert.equal(q.bs, 1);
    assert.deepEqual(b.t, { sec: Date.UTC(2021, 1, 22, 19, 15, 0) / 1000, nsec: 0, width: 32 });
    // the log keeps the same instants
    const out = sim.log.messagesOut(sim.log.connectionList().at(-1)?.id ?? -1).filter((m) => m.T === 'q');
    assert.equal(String(out[0]?.t), '2021-02-22T15:51:45.335689322Z');
    await c.close();
  });

  test('width 96 writes every timestamp as the 96-bit form, nanoseconds kept', async () => {
    const compact = await startAlpacaSim({ clock: new ManualClock(), msgpackTimestampWidth: 96 });
    try {
      const c = new TestClient(compact.streamUrl('iex'), { msgpack: true });
      await c.login();
      c.send({ action: 'subscribe', trades: ['AAPL'] });
      await c.next();
      compact.push([compact.data.trade('AAPL', { t: '2023-04-06T11:54:26.83915973Z' })]);
      const [t] = await c.next();
      assert.deepEqual(t?.t, { sec: Date.UTC(2023, 3, 6, 11, 54, 26) / 1000, nsec: 839159730, width: 96 });
      await c.close();
    } finally {
      await compact.close();
    }
  });

  test('a msgpack subscribe fragmented into 32 KiB continuation frames is reassembled', async () => {
    const c = new TestClient(sim.streamUrl('iex'), { msgpack: true });
    await c.login('PKPAID', 'SKPAID');
    const symbols = Array.from({ length: 20_000 }, (_, i) => `SYM${i}`);
    const bytes = encode({ action: 'subscribe', trades: symbols });
    assert.ok(bytes.byteLength > 3 * 32_768);
    for (let off = 0; off < bytes.byteLength; off += 32_768) {
      const chunk = bytes.subarray(off, off + 32_768);
      c.ws.send(chunk, { binary: true, fin: off + 32_768 >= bytes.byteLength });
    }
    const [sub] = await c.next();
    assert.equal((sub?.trades as string[] | undefined)?.length, 20_000);
    await c.close();
  });

  test('options paths: JSON clients get 412, * quotes get 413', async () => {
    const json = new TestClient(`${sim.urls.stream}/v1beta1/indicative`);
    await json.login();
    json.send({ action: 'subscribe', trades: ['AAPL240119C00190000'] });
    assert.deepEqual(await json.next(), [
      { T: 'error', code: 412, msg: 'option messages are only available in MsgPack format' },
    ]);
    await json.close();
    const mp = new TestClient(`${sim.urls.stream}/v1beta1/opra`, { msgpack: true });
    await mp.login();
    mp.send({ action: 'subscribe', quotes: ['*'] });
    assert.deepEqual(await mp.next(), [
      { T: 'error', code: 413, msg: 'star subscription is not allowed for option quotes' },
    ]);
    await mp.close();
  });

  test('a JSON client may send JSON in binary frames', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    await c.opened;
    await c.next();
    c.sendRaw(Buffer.from(JSON.stringify({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' })), true);
    assert.deepEqual(await c.next(), [{ T: 'success', msg: 'authenticated' }]);
    await c.close();
  });
});
