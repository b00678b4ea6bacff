/**
 * The market-data stream against the Alpaca simulator over real sockets. Time is the sim's
 * ManualClock, shared with the stream: the tests jump it and assert on the sim's log.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { feedPhase } from '../../../forwarder/alpaca/market-calendar.ts';
import type { MarketDataStream } from '../../../forwarder/alpaca/market-data-stream.ts';
import { normaliseSubscriptions } from '../../../forwarder/alpaca/subscriptions.ts';
import { createFreshnessMonitor } from '../../../forwarder/app/freshness.ts';
import { type AlpacaSim, ManualClock, startAlpacaSim } from '../../sim/alpaca/index.ts';
import { connectTo } from '../sim/ws-client.ts';
import { clockOf, simStream } from './sim-harness.ts';

const sims: AlpacaSim[] = [];
async function sim(
  opts: Parameters<typeof startAlpacaSim>[0] = {},
): Promise<{ sim: AlpacaSim; clock: ManualClock }> {
  const clock = new ManualClock();
  const s = await startAlpacaSim({ clock, testStream: false, ...opts });
  sims.push(s);
  return { sim: s, clock };
}
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

describe('market-data stream ↔ simulator', () => {
  for (const encoding of ['msgpack', 'json'] as const) {
    test(`${encoding}: auth + subscribe, then events in order with nanosecond timestamps`, async () => {
      const { sim: s, clock } = await sim();
      const h = simStream(clock, { streamUrl: s.urls.stream, encoding });
      h.stream.start();
      const conn = await s.log.waitForConnection();
      assert.equal(conn.encoding, encoding);
      assert.equal(conn.path, '/v2/iex');
      await h.states.waitFor((x) => x.status === 'healthy');
      const rec = s.log.connection(conn.id);
      assert.equal(rec.keyId, 'PKTEST');
      assert.deepEqual(
        [rec.subscriptions?.trades, rec.subscriptions?.quotes, rec.subscriptions?.bars],
        [['AAPL'], ['AAPL'], ['AAPL', 'MSFT']],
      );
      const msgs = [
        s.data.trade('AAPL'),
        s.data.quote('AAPL'),
        s.data.trade('AAPL'),
        s.data.trade('NVDA'), // not subscribed: the sim filters it
        s.data.bar('MSFT', { t: '2026-01-05T15:00:00Z' }),
      ];
      s.push(msgs);
      const last = await h.events.waitFor((e) => e.channel === 'bars');
      assert.deepEqual(
        h.events.all.map((e) => `${e.channel}:${e.symbol}`),
        ['trades:AAPL', 'quotes:AAPL', 'trades:AAPL', 'bars:MSFT'],
      );
      assert.equal(last.eventTs, '2026-01-05T15:00:00Z');
      for (const e of h.events.all)
        assert.match(e.eventTs ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
      const out = s.log.messagesOut(conn.id).filter((m) => m.T === 't');
      assert.equal(out.length, 2);
      assert.equal(h.issues.all.length, 0);
      await h.stream.stop();
    });
  }

  test('abrupt drop (slot lingers) → waits for the slot, no 406 → reconnect, full resubscribe, gap reported', async () => {
    const { sim: s, clock } = await sim({ lingerMs: 90_000 });
    const h = simStream(clock, {
      streamUrl: s.urls.stream,
      reconnect: { baseMs: 1_000, maxMs: 8_000, cooldown406Ms: 90_000 },
    });
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    h.stream.updateSubscriptions(normaliseSubscriptions({ trades: ['AAPL', 'NVDA'], bars: ['AAPL'] }));
    await s.log.waitForMessage(
      c1.id,
      'out',
      (m) => m.T === 'subscription' && Array.isArray(m.trades) && m.trades.includes('NVDA'),
    );
    s.push([s.data.trade('NVDA')]);
    await h.events.waitFor((e) => e.symbol === 'NVDA');
    const lastDataAt = clock.now();
    clock.advance(2_000);
    s.drop(c1.id);
    const rec = await h.states.waitFor((x) => x.status === 'reconnect');
    assert.equal(rec.reason, 'alpaca_ws_closed_1006');
    // The dropped session still holds the slot: the next attempt is when Alpaca frees it.
    assert.equal(rec.nextAttemptAtMs, rec.atMs + 90_000);
    // What an attempt before then would meet (the old behaviour): 406, the slot still lingers.
    const early = await connectTo(s, s.streamUrl('iex'));
    assert.deepEqual(await early.client.login(), [
      { T: 'error', code: 406, msg: 'connection limit exceeded' },
    ]);
    await early.client.close();
    clock.set((rec.nextAttemptAtMs ?? 0) - 1);
    assert.equal(h.connecting(), 1, 'no attempt while the slot lingers');
    clock.advance(1);
    const c2 = await s.log.waitForConnection((c) => c.id > early.id);
    await h.states.waitFor((x) => x.status === 'healthy', h.states.all.indexOf(rec));
    const auth = await s.log.waitFor((e) => e.type === 'auth' && e.connId === c2.id);
    assert.equal(auth.type === 'auth' && auth.outcome, 'ok', 'no 406 met');
    assert.equal(h.states.all.filter((x) => x.errorClass === 'alpaca_406_second_connection').length, 0);
    const resub = await s.log.waitForMessage(c2.id, 'in', (m) => m.action === 'subscribe');
    assert.deepEqual(resub.trades, ['AAPL', 'NVDA']);
    assert.deepEqual(resub.bars, ['AAPL']);
    const gap = await h.gaps.waitFor(() => true);
    assert.equal(gap.fromMs, lastDataAt);
    assert.equal(gap.toMs, clock.now());
    s.push([s.data.trade('NVDA')]);
    await h.events.waitFor((e) => e.symbol === 'NVDA', h.events.all.length);
    await h.stream.stop();
  });

  test('repeated drops: each abrupt drop is recovered once the slot is free (never a 406), each clean close at the base delay', async () => {
    const { sim: s, clock } = await sim({ lingerMs: 90_000 });
    const h = simStream(
      clock,
      { streamUrl: s.urls.stream, reconnect: { baseMs: 500, maxMs: 30_000, cooldown406Ms: 90_000 } },
      () => 1,
    );
    h.stream.start();
    let conn = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    const recoveries: { how: string; ms: number }[] = [];
    for (let i = 0; i < 10; i++) {
      const how = i % 2 === 0 ? 'abrupt' : 'clean';
      clock.advance(5_000);
      const from = h.states.all.length;
      if (how === 'abrupt') s.drop(conn.id);
      else s.closeConnection(conn.id, 1011, 'internal');
      const rec = await h.states.waitFor((x) => x.status === 'reconnect', from);
      const droppedAt = clock.now();
      clock.set(rec.nextAttemptAtMs ?? 0);
      const prev = conn.id;
      conn = await s.log.waitForConnection((c) => c.id > prev);
      await h.states.waitFor((x) => x.status === 'healthy', from);
      recoveries.push({ how, ms: clock.now() - droppedAt });
    }
    assert.deepEqual(
      recoveries,
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0 ? { how: 'abrupt', ms: 90_000 } : { how: 'clean', ms: 1_000 },
      ),
      'no escalation: every drop comes after a healthy period longer than the wait before it',
    );
    const outcomes = s.log.events.filter((e) => e.type === 'auth').map((e) => e.type === 'auth' && e.outcome);
    assert.ok(
      outcomes.every((o) => o === 'ok'),
      `no auth refused: ${outcomes.join(',')}`,
    );
    await h.stream.stop();
  });

  test('a second connection with the same key gets 406 and waits the cool-down; a clean stop frees the slot at once', async () => {
    const { sim: s, clock } = await sim();
    const first = simStream(clock, { streamUrl: s.urls.stream });
    first.stream.start();
    await first.states.waitFor((x) => x.status === 'healthy');
    const second = simStream(
      clock,
      { streamUrl: s.urls.stream, reconnect: { cooldown406Ms: 120_000 } },
      () => 0.99,
    );
    second.stream.start();
    const err = await second.states.waitFor((x) => x.status === 'error');
    assert.equal(err.errorClass, 'alpaca_406_second_connection');
    assert.equal(err.nextAttemptAtMs, err.atMs + 120_000);
    assert.equal(first.states.all.at(-1)?.status, 'healthy', 'the existing session is not displaced');
    const firstConn = s.log.connectionList().find((c) => c.authAt !== null);
    assert.ok(firstConn);
    await first.stream.stop();
    assert.equal((await s.log.waitForClose(firstConn.id)).how, 'clean');
    clock.set(err.nextAttemptAtMs ?? 0);
    await second.states.waitFor((x) => x.status === 'healthy');
    assert.equal(second.connecting(), 2);
    await second.stream.stop();
  });

  test('wrong keys → alpaca_auth (402), no tight loop', async () => {
    const { sim: s, clock } = await sim();
    const h = simStream(clock, {
      streamUrl: s.urls.stream,
      credentials: { keyId: 'PKTEST', secretKey: 'wrong' },
      reconnect: { permanentRetryMs: 300_000 },
    });
    h.stream.start();
    const err = await h.states.waitFor((x) => x.status === 'error');
    assert.equal(err.errorClass, 'alpaca_auth');
    assert.equal(err.reason, 'alpaca_402_auth_failed');
    assert.equal(err.nextAttemptAtMs, err.atMs + 300_000);
    clock.advance(299_999);
    assert.equal(h.connecting(), 1);
    assert.equal(s.log.connectionList().length, 1);
    clock.advance(1);
    await s.log.waitForConnection((c) => c.id > 1);
    await h.states.waitFor((x) => x.status === 'error', h.states.all.indexOf(err) + 1);
    await h.stream.stop();
  });

  test('feed outside the plan → alpaca_auth with alpaca_409_insufficient_subscription', async () => {
    const { sim: s, clock } = await sim();
    const h = simStream(clock, { streamUrl: s.urls.stream, feed: 'sip' });
    h.stream.start();
    const err = await h.states.waitFor((x) => x.status === 'error');
    assert.equal(err.errorClass, 'alpaca_auth');
    assert.equal(err.reason, 'alpaca_409_insufficient_subscription');
    await h.stream.stop();
  });

  test('muted socket on /v2/test (pings answered, no data) → the freshness monitor finds quotes silent → alpaca_stream_stale → clean close and reconnect', async () => {
    const { sim: s, clock } = await sim({ testStream: true });
    const subscriptions = normaliseSubscriptions({ quotes: ['FAKEPACA'] });
    const silent: string[] = [];
    let stream: MarketDataStream | null = null;
    const monitor = createFreshnessMonitor({
      feed: 'test',
      staleAfterMs: 30_000,
      clock: clockOf(clock),
      phase: (now) => feedPhase([], 'test', now),
      onChange: () => {},
      onChannelSilent: (channel) => {
        silent.push(channel);
        stream?.reconnect();
      },
    });
    monitor.setSubscriptions(subscriptions);
    const h = simStream(clock, { streamUrl: s.urls.stream, feed: 'test', subscriptions }, () => 0, {
      onEvents: (b) => monitor.observe(b),
      onState: (st) => {
        if (st.status === 'healthy') monitor.connected(st.atMs);
        else monitor.disconnected();
      },
    });
    stream = h.stream;
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    s.mute(c1.id, true);
    clock.advance(29_999);
    monitor.check();
    assert.deepEqual(silent, []);
    clock.advance(1);
    monitor.check();
    assert.deepEqual(silent, ['quotes']);
    const st = await h.states.waitFor((x) => x.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_stream_stale');
    assert.equal((await s.log.waitForClose(c1.id)).how, 'clean');
    clock.set(st.nextAttemptAtMs ?? 0);
    const c2 = await s.log.waitForConnection((c) => c.id !== c1.id);
    await s.log.waitForMessage(c2.id, 'in', (m) => m.action === 'subscribe');
    await h.states.waitFor((x) => x.status === 'healthy', h.states.all.indexOf(st));
    clock.advance(5_000);
    const q = await h.events.waitFor((e) => e.symbol === 'FAKEPACA' && e.channel === 'quotes');
    assert.equal(q.source, 'ws');
    monitor.check();
    assert.deepEqual(silent, ['quotes'], 'quotes flow again on the new connection');
    await h.gaps.waitFor(() => true);
    await h.stream.stop();
  });

  test('updateSubscriptions adds and removes on the same connection', async () => {
    const { sim: s, clock } = await sim();
    const h = simStream(clock, { streamUrl: s.urls.stream });
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    const mark = s.log.mark();
    h.stream.updateSubscriptions(
      normaliseSubscriptions({ trades: ['MSFT'], quotes: ['AAPL'], bars: ['MSFT'] }),
    );
    await s.log.waitForMessage(c1.id, 'in', (m) => m.action === 'unsubscribe', { since: mark });
    await s.log.waitForMessage(c1.id, 'in', (m) => m.action === 'subscribe', { since: mark });
    await s.log.waitForMessage(
      c1.id,
      'out',
      (m) => m.T === 'subscription' && Array.isArray(m.trades) && m.trades.includes('MSFT'),
      { since: mark },
    );
    const sub = s.log.subscriptionsOf(c1.id);
    assert.deepEqual([sub?.trades, sub?.quotes, sub?.bars], [['MSFT'], ['AAPL'], ['MSFT']]);
    assert.equal(s.log.connectionList().length, 1);
    s.push([s.data.trade('AAPL'), s.data.trade('MSFT')]);
    const e = await h.events.waitFor((x) => x.channel === 'trades');
    assert.equal(e.symbol, 'MSFT');
    assert.equal(h.connecting(), 1);
    await h.stream.stop();
  });

  test('stop() closes with a close frame; the slot is free at once for the next process', async () => {
    const { sim: s, clock } = await sim({ lingerMs: 90_000 });
    const a = simStream(clock, { streamUrl: s.urls.stream });
    a.stream.start();
    const c1 = await s.log.waitForConnection();
    await a.states.waitFor((x) => x.status === 'healthy');
    await a.stream.stop();
    const close = await s.log.waitForClose(c1.id);
    assert.equal(close.how, 'clean');
    assert.equal(close.code, 1000);
    const b = simStream(clock, { streamUrl: s.urls.stream });
    b.stream.start();
    await b.states.waitFor((x) => x.status === 'healthy');
    assert.equal(
      b.states.all.some((x) => x.status === 'error'),
      false,
    );
    await b.stream.stop();
  });

  test('stop() right after frames were sent: every frame sent before our close frame is delivered', async () => {
    const { sim: s, clock } = await sim();
    const h = simStream(clock, { streamUrl: s.urls.stream });
    h.stream.start();
    const conn = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    const n = 200;
    for (let i = 0; i < n; i += 1) s.push([s.data.trade('AAPL', { i: 900_000 + i })]);
    // No waiting: the frames are still in flight (socket buffers) when stop() sends the close frame.
    await h.stream.stop();
    const close = await s.log.waitForClose(conn.id);
    assert.equal(close.how, 'clean');
    assert.deepEqual(
      h.events.all.filter((e) => e.channel === 'trades').map((e) => e.payload.i),
      Array.from({ length: n }, (_, i) => 900_000 + i),
    );
    assert.equal(h.issues.all.length, 0, 'nothing discarded');
  });

  test('server-side faults: 500 internal error and a sim restart → reconnect with backoff and resubscribe', async () => {
    const { sim: s, clock } = await sim({ lingerMs: 0 });
    const h = simStream(
      clock,
      { streamUrl: s.urls.stream, reconnect: { baseMs: 500, maxMs: 30_000 } },
      () => 1,
    );
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    s.internalError(c1.id);
    const st = await h.states.waitFor((x) => x.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_500_internal_error');
    assert.equal(st.nextAttemptAtMs, st.atMs + 1_000);
    clock.set(st.nextAttemptAtMs ?? 0);
    const c2 = await s.log.waitForConnection((c) => c.id !== c1.id);
    await h.states.waitFor((x) => x.status === 'healthy', h.states.all.indexOf(st));
    s.restart({ how: 'drop' });
    const st2 = await h.states.waitFor((x) => x.status === 'reconnect', h.states.all.indexOf(st) + 1);
    assert.equal(st2.attempt, 2, 'failures count up until a healthy period has passed');
    // No close frame: the forwarder cannot tell a restart from a network drop and expects the
    // slot to linger (cooldown406Ms, default 90 s) rather than meet a 406.
    assert.equal(st2.nextAttemptAtMs, st2.atMs + 90_000);
    clock.set(st2.nextAttemptAtMs ?? 0);
    const c3 = await s.log.waitForConnection((c) => c.id > c2.id);
    const resub = await s.log.waitForMessage(c3.id, 'in', (m) => m.action === 'subscribe');
    assert.deepEqual(resub.bars, ['AAPL', 'MSFT']);
    await h.stream.stop();
  });

  test('slow client (407) and refused upgrades (429) → transient reconnects with their reasons', async () => {
    const { sim: s, clock } = await sim({ lingerMs: 0 });
    const h = simStream(clock, { streamUrl: s.urls.stream, reconnect: { baseMs: 500, maxMs: 30_000 } });
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    s.slowClient(c1.id, { send407: true });
    const st = await h.states.waitFor((x) => x.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_407_slow_client');
    s.rejectUpgrades(429, 1);
    clock.set(st.nextAttemptAtMs ?? 0);
    const st2 = await h.states.waitFor((x) => x.status === 'reconnect', h.states.all.indexOf(st) + 1);
    assert.equal(st2.reason, 'alpaca_http_429_rate_limited');
    assert.equal(st2.attempt, 2);
    const refused = await s.log.waitFor((e) => e.type === 'upgrade-refused');
    assert.equal(refused.type === 'upgrade-refused' && refused.status, 429);
    clock.set(st2.nextAttemptAtMs ?? 0);
    await h.states.waitFor((x) => x.status === 'healthy', h.states.all.indexOf(st2));
    await h.stream.stop();
  });

  test('garbage and unknown frames from the server are reported, the stream keeps going', async () => {
    const { sim: s, clock } = await sim();
    const h = simStream(clock, { streamUrl: s.urls.stream, encoding: 'json' });
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    s.pushFrame(c1.id, 'not json at all');
    s.pushFrame(c1.id, [{ T: 'n', S: 'AAPL', headline: 'x' }]);
    s.push([s.data.trade('AAPL')]);
    await h.events.waitFor((e) => e.channel === 'trades');
    const frame = await h.issues.waitFor((i) => i.kind === 'malformed_frame');
    assert.equal(frame.reason, 'invalid_json');
    const unknown = await h.issues.waitFor((i) => i.kind === 'unknown_type');
    assert.equal(unknown.type, 'n');
    assert.equal(h.states.all.at(-1)?.status, 'healthy');
    await h.stream.stop();
  });

  test('a large subscription is sent in parts; the sim ends up with the whole set on one connection', async () => {
    const { sim: s, clock } = await sim({ accounts: { PKTEST: { secret: 'SKTEST', symbolLimit: null } } });
    const symbols = Array.from({ length: 250 }, (_, i) => `S${String(i).padStart(3, '0')}`);
    const h = simStream(clock, {
      streamUrl: s.urls.stream,
      subscriptions: normaliseSubscriptions({ trades: symbols, bars: symbols }),
      maxSymbolsPerMessage: 100,
    });
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    await s.log.waitForMessage(
      c1.id,
      'out',
      (m) => m.T === 'subscription' && Array.isArray(m.bars) && m.bars.length === 250,
    );
    const subs = s.log.messagesIn(c1.id).filter((m) => m.action === 'subscribe');
    assert.equal(subs.length, 5);
    const rec = s.log.subscriptionsOf(c1.id);
    assert.equal(rec?.trades.length, 250);
    assert.equal(rec?.bars.length, 250);
    await h.stream.stop();
  });
});
