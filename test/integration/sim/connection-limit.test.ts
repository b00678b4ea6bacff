import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { TestClient } from './ws-client.ts';

const E406 = [{ T: 'error', code: 406, msg: 'connection limit exceeded' }];
const AUTHED = [{ T: 'success', msg: 'authenticated' }];

describe('alpaca sim: per-(key, endpoint) connection table', () => {
  let sim: AlpacaSim;
  const clock = new ManualClock();
  before(async () => {
    sim = await startAlpacaSim({
      clock,
      lingerMs: 90_000,
      accounts: { PKTEST: { secret: 'SKTEST' }, PKOTHER: { secret: 'SKOTHER' } },
    });
  });
  after(() => sim.close());

  async function subscribed(c: TestClient): Promise<void> {
    c.send({ action: 'subscribe', trades: ['AAPL'] });
    assert.equal((await c.next())[0]?.T, 'subscription');
  }

  test('a second authenticated connection gets 406 and the first keeps streaming', async () => {
    const first = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await first.login(), AUTHED);
    await subscribed(first);
    const second = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await second.login(), E406);
    // default: the socket stays open after 406 and a later auth is allowed
    sim.push([sim.data.trade('AAPL')]);
    const data = await first.next();
    assert.equal(data[0]?.T, 't');
    assert.equal(second.pending, 0);
    // another key and another endpoint are separate slots
    const other = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await other.login('PKOTHER', 'SKOTHER'), AUTHED);
    const otherFeed = new TestClient(sim.streamUrl('delayed_sip'));
    assert.deepEqual(await otherFeed.login(), AUTHED);
    // a clean close frees the slot at once: the waiting socket can re-auth on the same socket
    await first.close();
    second.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await second.next(), AUTHED);
    await Promise.all([second.close(), other.close(), otherFeed.close()]);
  });

  test('repeated clean close and reconnect always authenticates', async () => {
    for (let i = 0; i < 5; i++) {
      const mark = sim.log.mark();
      const c = new TestClient(sim.streamUrl('iex'));
      assert.deepEqual(await c.login(), AUTHED);
      const rec = await sim.log.waitForConnection((r) => r.authAt !== null, { since: mark });
      c.ws.close(1000);
      await sim.log.waitForClose(rec.id);
    }
    const last = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await last.login(), AUTHED);
    await last.close();
  });

  test('an abrupt drop keeps the slot for the lingering window, then frees it', async () => {
    const mark = sim.log.mark();
    const first = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await first.login(), AUTHED);
    const rec = await sim.log.waitForConnection((c) => c.authAt !== null, { since: mark });
    await first.terminate();
    const closed = await sim.log.waitForClose(rec.id);
    assert.equal(closed.how, 'abrupt');

    const second = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await second.login(), E406);
    await second.close();
    clock.advance(89_999);
    const third = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await third.login(), E406);
    await third.close();
    clock.advance(1);
    const fourth = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await fourth.login(), AUTHED);
    await fourth.close();
  });

  test('a server-side drop (network loss) also lingers; the log says how each connection ended', async () => {
    const mark = sim.log.mark();
    const first = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await first.login(), AUTHED);
    const rec = await sim.log.waitForConnection((c) => c.authAt !== null, { since: mark });
    sim.drop(rec.id);
    const seen = await first.closed;
    assert.equal(seen.code, 1006);
    assert.equal((await sim.log.waitForClose(rec.id)).how, 'server-drop');
    const second = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await second.login(), E406);
    await second.close();
    clock.advance(90_000);
    const third = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await third.login(), AUTHED);
    await third.close();
    const thirdRec = sim.log.connectionList().at(-1);
    assert.ok(thirdRec);
    assert.ok(sim.log.reconnectGap(rec.id, thirdRec.id) >= 90_000);
  });

  test('force406 refuses the next auth even with a free slot', async () => {
    sim.force406();
    const c = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await c.login(), E406);
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await c.next(), AUTHED);
    await c.close();
  });
});

describe('alpaca sim: 406 with closeAfter.connectionLimit', () => {
  test('closes the newcomer after 406 when configured', async () => {
    const sim = await startAlpacaSim({ clock: new ManualClock(), closeAfter: { connectionLimit: true } });
    try {
      const first = new TestClient(sim.streamUrl('iex'));
      assert.deepEqual(await first.login(), AUTHED);
      const second = new TestClient(sim.streamUrl('iex'));
      assert.deepEqual(await second.login(), E406);
      assert.equal((await second.closed).code, 1000);
      await first.close();
    } finally {
      await sim.close();
    }
  });
});
