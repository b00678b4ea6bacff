import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/server.ts';
import { connectTo, TestClient } from './ws-client.ts';

const err = (code: number, msg: string) => [{ T: 'error', code, msg }];
const AUTHED = [{ T: 'success', msg: 'authenticated' }];

describe('alpaca sim: error codes and what happens after each', () => {
  let sim: AlpacaSim;
  const clock = new ManualClock();
  before(async () => {
    sim = await startAlpacaSim({
      clock,
      accounts: {
        PKTEST: { secret: 'SKTEST', tokens: ['oauth-token-1'] },
        PKSMALL: { secret: 'SKSMALL', symbolLimit: 3 },
        PKPAID: { secret: 'SKPAID', feeds: ['iex', 'sip'], symbolLimit: null },
      },
    });
  });
  after(() => sim.close());

  test('malformed JSON, unknown action and non-object messages get 400 and the socket stays usable', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    await c.opened;
    await c.next();
    c.sendRaw('{"action":"auth",');
    assert.deepEqual(await c.next(), err(400, 'invalid syntax'));
    c.send({ action: 'dance' });
    assert.deepEqual(await c.next(), err(400, 'invalid syntax'));
    c.send([{ action: 'auth' }]);
    assert.deepEqual(await c.next(), err(400, 'invalid syntax'));
    c.sendRaw(Buffer.from([0xc1, 0xff, 0x00]), true);
    assert.deepEqual(await c.next(), err(400, 'invalid syntax'));
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await c.next(), AUTHED);
    c.send({ action: 'subscribe', trades: 'AAPL' });
    assert.deepEqual(await c.next(), err(400, 'invalid syntax'));
    c.send({ action: 'subscribe', trades: ['aapl'] });
    assert.deepEqual(await c.next(), err(400, 'invalid syntax'));
    c.send({ action: 'subscribe', trades: ['AAPL'] });
    assert.equal((await c.next())[0]?.T, 'subscription');
    await c.close();
  });

  test('401 before auth, 403 on a second auth; both keep the socket', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    await c.opened;
    await c.next();
    c.send({ action: 'subscribe', trades: ['AAPL'] });
    assert.deepEqual(await c.next(), err(401, 'not authenticated'));
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await c.next(), AUTHED);
    c.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await c.next(), err(403, 'already authenticated'));
    await c.close();
  });

  test('402 for bad credentials, then the server closes', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await c.login('PKTEST', 'wrong'), err(402, 'auth failed'));
    assert.equal((await c.closed).code, 1000);
  });

  test('404 auth timeout after the deadline on the sim clock, then close', async () => {
    const { client, id } = await connectTo(sim, sim.streamUrl('iex'));
    assert.deepEqual(await client.next(), [{ T: 'success', msg: 'connected' }]);
    clock.advance(9_999);
    assert.equal(sim.log.messagesOut(id).length, 1);
    clock.advance(1);
    assert.deepEqual(await client.next(), err(404, 'auth timeout'));
    await client.closed;
    assert.equal((await sim.log.waitForClose(id)).how, 'server-close');
  });

  test('405 for a subscribe over the symbol cap leaves the previous set unchanged', async () => {
    const { client, id } = await connectTo(sim, sim.streamUrl('iex'));
    assert.deepEqual(await client.login('PKSMALL', 'SKSMALL'), AUTHED);
    client.send({ action: 'subscribe', trades: ['AAPL', 'MSFT'], quotes: ['AAPL'], bars: ['*'] });
    const initial = (await client.next())[0];
    client.send({ action: 'subscribe', trades: ['TSLA'], quotes: ['AMD'] });
    assert.deepEqual(await client.next(), err(405, 'symbol limit exceeded'));
    assert.deepEqual(sim.log.subscriptionsOf(id)?.trades, ['AAPL', 'MSFT']);
    client.send({ action: 'subscribe', trades: [] });
    assert.deepEqual((await client.next())[0], initial);
    // still usable: within the cap works
    client.send({ action: 'subscribe', quotes: ['TSLA'] });
    assert.deepEqual((await client.next())[0]?.quotes, ['AAPL', 'TSLA']);
    await client.close();
  });

  test('409 for a feed the plan lacks, at auth, then close; a paid plan gets the feed', async () => {
    const c = new TestClient(sim.streamUrl('sip'));
    assert.deepEqual(await c.login(), err(409, 'insufficient subscription'));
    assert.equal((await c.closed).code, 1000);
    const paid = new TestClient(sim.streamUrl('sip'));
    assert.deepEqual(await paid.login('PKPAID', 'SKPAID'), AUTHED);
    await paid.close();
  });

  test('410 for a channel the stock stream lacks; the socket stays', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    await c.login();
    c.send({ action: 'subscribe', orderbooks: ['AAPL'] });
    assert.deepEqual(await c.next(), err(410, 'invalid subscribe action for this feed'));
    c.send({ action: 'subscribe', trades: ['AAPL'] });
    assert.equal((await c.next())[0]?.T, 'subscription');
    await c.close();
  });

  test('407 slow client then close; 500 internal error then close', async () => {
    const a = await connectTo(sim, sim.streamUrl('iex'));
    await a.client.login();
    sim.slowClient(a.id);
    assert.deepEqual(await a.client.next(), err(407, 'slow client'));
    await a.client.closed;
    const b = await connectTo(sim, sim.streamUrl('iex'));
    await b.client.login();
    sim.internalError(b.id);
    assert.deepEqual(await b.client.next(), err(500, 'internal error'));
    await b.client.closed;
    const c = await connectTo(sim, sim.streamUrl('iex'));
    await c.client.login();
    sim.slowClient(c.id, { send407: false });
    await c.client.closed;
    assert.equal(c.client.pending, 0);
  });

  test('header auth: APCA headers, Basic, Bearer; bad headers get 402', async () => {
    const apca = new TestClient(sim.streamUrl('iex'), {
      headers: { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'SKTEST' },
    });
    assert.deepEqual(await apca.next(), [{ T: 'success', msg: 'connected' }]);
    assert.deepEqual(await apca.next(), AUTHED);
    apca.send({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    assert.deepEqual(await apca.next(), err(403, 'already authenticated'));
    await apca.close();
    const basic = new TestClient(sim.streamUrl('iex'), {
      headers: { Authorization: `Basic ${Buffer.from('PKTEST:SKTEST').toString('base64')}` },
    });
    await basic.next();
    assert.deepEqual(await basic.next(), AUTHED);
    await basic.close();
    const bearer = new TestClient(sim.streamUrl('iex'), {
      headers: { Authorization: 'Bearer oauth-token-1' },
    });
    await bearer.next();
    assert.deepEqual(await bearer.next(), AUTHED);
    await bearer.close();
    const bad = new TestClient(sim.streamUrl('iex'), {
      headers: { 'APCA-API-KEY-ID': 'PKTEST', 'APCA-API-SECRET-KEY': 'nope' },
    });
    await bad.next();
    assert.deepEqual(await bad.next(), err(402, 'auth failed'));
    await bad.closed;
  });

  test('oauth literal key with a token secret authenticates', async () => {
    const c = new TestClient(sim.streamUrl('iex'));
    assert.deepEqual(await c.login('oauth', 'oauth-token-1'), AUTHED);
    await c.close();
  });

  test('secrets never reach the log (auth frames are logged redacted)', () => {
    const text = JSON.stringify([sim.log.connectionList(), sim.log.events]);
    assert.ok(!text.includes('SKTEST'));
    assert.ok(!text.includes('oauth-token-1'));
    assert.ok(text.includes('"secret":"[redacted]"'));
    assert.ok(sim.log.connectionList().some((c) => c.keyId === 'PKTEST'));
  });
});
