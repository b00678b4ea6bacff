import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { normaliseSubscriptions } from '../../../../forwarder/alpaca/subscriptions.ts';
import { type FakeAlpaca, msgpackTs, startFakeAlpaca } from './support/fake-alpaca.ts';
import { createHarness, type Harness } from './support/harness.ts';

const servers: FakeAlpaca[] = [];
const connecting = (h: Harness): number => h.states.all.filter((s) => s.status === 'connecting').length;
async function server(opts: Parameters<typeof startFakeAlpaca>[0] = {}): Promise<FakeAlpaca> {
  const s = await startFakeAlpaca(opts);
  servers.push(s);
  return s;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const trade = (i: number, t = '2026-01-05T15:00:00.000000001Z') => ({
  T: 't',
  S: 'AAPL',
  i,
  x: 'V',
  p: 100 + i,
  s: 1,
  c: ['@'],
  z: 'C',
  t,
});

describe('market-data stream against a loopback server', () => {
  test('JSON: welcome → auth → subscribe → healthy, then events in read order', async () => {
    const srv = await server();
    const h = createHarness({ streamUrl: srv.url, feed: 'iex' });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    assert.equal(conn.path, '/v2/iex');
    assert.equal(conn.contentType, 'application/json');
    const auth = await conn.messages.waitFor((m) => m.action === 'auth');
    assert.deepEqual(auth, { action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
    const sub = await conn.messages.waitFor((m) => m.action === 'subscribe');
    assert.deepEqual(sub, { action: 'subscribe', trades: ['AAPL'], bars: ['AAPL', 'MSFT'] });
    await h.states.waitFor((s) => s.status === 'healthy');
    assert.deepEqual(
      h.states.all.map((s) => s.status),
      ['connecting', 'healthy'],
    );
    conn.send([trade(1), trade(2)]);
    conn.send([trade(3)]);
    await h.events.waitFor((e) => e.payload.i === 3);
    assert.deepEqual(
      h.events.all.map((e) => e.payload.i),
      [1, 2, 3],
    );
    assert.equal(h.batches.all.length, 2);
    assert.equal(h.gaps.all.length, 0);
    await h.stream.stop();
    assert.equal((await conn.closed).code, 1000);
  });

  test('msgpack by default: Content-Type header, msgpack client frames, ns timestamps', async () => {
    const srv = await server();
    const h = createHarness({ streamUrl: srv.url, feed: 'sip', encoding: undefined });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    assert.equal(conn.contentType, 'application/msgpack');
    assert.equal(conn.path, '/v2/sip');
    assert.equal(conn.offeredExtensions, null, 'no permessage-deflate offered by default');
    await conn.messages.waitFor((m) => m.action === 'auth');
    await h.states.waitFor((s) => s.status === 'healthy');
    conn.send([
      {
        T: 'q',
        S: 'AAPL',
        bx: 'V',
        bp: 1.5,
        bs: 1,
        ax: 'V',
        ap: 1.6,
        as: 2,
        c: ['R'],
        z: 'C',
        t: msgpackTs('2026-01-05T15:00:00Z', 123456789),
      },
    ]);
    const e = await h.events.waitFor(() => true);
    assert.equal(e.channel, 'quotes');
    assert.equal(e.eventTs, '2026-01-05T15:00:00.123456789Z');
    await h.stream.stop();
  });

  test('perMessageDeflate: true offers permessage-deflate on the upgrade', async () => {
    const srv = await server();
    const h = createHarness({ streamUrl: srv.url, feed: 'sip', perMessageDeflate: true });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    assert.match(conn.offeredExtensions ?? '', /^permessage-deflate/);
    await h.states.waitFor((s) => s.status === 'healthy');
    await h.stream.stop();
  });

  test('malformed frames and unknown types are reported and the stream keeps going', async () => {
    const srv = await server();
    const h = createHarness({ streamUrl: srv.url });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    await h.states.waitFor((s) => s.status === 'healthy');
    conn.ws.send('{garbage');
    conn.send([
      { T: 'zz', S: 'AAPL' },
      trade(7),
      { T: 't', S: 'AAPL' },
      { T: 'd', S: 'AAPL', o: 1, h: 1, l: 1, c: 1, v: 1, t: '2026-01-05T05:00:00Z' },
    ]);
    await h.events.waitFor((e) => e.payload.i === 7);
    const kinds = (
      await Promise.all([
        h.issues.waitFor((i) => i.kind === 'malformed_frame'),
        h.issues.waitFor((i) => i.kind === 'unknown_type'),
        h.issues.waitFor((i) => i.kind === 'malformed_message'),
        h.issues.waitFor((i) => i.kind === 'not_forwarded'),
      ])
    ).map((i) => `${i.kind}:${i.type}:${i.reason}`);
    assert.deepEqual(kinds, [
      'malformed_frame:null:invalid_json',
      'unknown_type:zz:unknown_type',
      'malformed_message:t:missing_timestamp',
      'not_forwarded:d:daily_bar',
    ]);
    assert.equal(h.states.all.at(-1)?.status, 'healthy');
    await h.stream.stop();
  });

  test('server close frame → reconnect after the backoff, full resubscribe of the current set, gap reported', async () => {
    const srv = await server();
    const h = createHarness(
      { streamUrl: srv.url, reconnect: { baseMs: 1_000, maxMs: 8_000 } },
      { random: () => 0.5 },
    );
    h.stream.start();
    const c1 = await srv.connections.waitFor(() => true);
    await h.states.waitFor((s) => s.status === 'healthy');
    h.stream.updateSubscriptions(normaliseSubscriptions({ trades: ['AAPL', 'NVDA'], bars: ['AAPL'] }));
    await c1.messages.waitFor(
      (m) => m.action === 'subscribe' && Array.isArray(m.trades) && m.trades.includes('NVDA'),
    );
    c1.send([trade(1)]);
    await h.events.waitFor((e) => e.payload.i === 1);
    const lastDataAt = h.clock.now();
    h.clock.advance(5_000);
    // A close frame: Alpaca ended the session itself, its slot is free.
    c1.ws.close(1011);
    const rec = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(rec.reason, 'alpaca_ws_closed_1011');
    assert.equal(rec.attempt, 1);
    // first failure: uniform in [base, 2*base]; random 0.5 → 1.5 × base
    assert.equal(rec.nextAttemptAtMs, rec.atMs + 1_500);
    h.clock.advance(1_499);
    assert.equal(connecting(h), 1, 'no attempt before the backoff elapsed');
    h.clock.advance(1);
    const c2 = await srv.connections.waitFor((c) => c.id !== c1.id);
    const resub = await c2.messages.waitFor((m) => m.action === 'subscribe');
    assert.deepEqual(resub, { action: 'subscribe', trades: ['AAPL', 'NVDA'], bars: ['AAPL'] });
    const gap = await h.gaps.waitFor(() => true);
    assert.equal(gap.fromMs, lastDataAt);
    assert.equal(gap.toMs, h.clock.now());
    await h.states.waitFor((s) => s.status === 'healthy', 2);
    await h.stream.stop();
  });

  test('abrupt drop (no close frame) of an authenticated session → next attempt once the lingering slot is free', async () => {
    const srv = await server();
    const h = createHarness(
      { streamUrl: srv.url, reconnect: { baseMs: 1_000, maxMs: 8_000, cooldown406Ms: 90_000 } },
      { random: () => 0.5 },
    );
    h.stream.start();
    const c1 = await srv.connections.waitFor(() => true);
    await h.states.waitFor((s) => s.status === 'healthy');
    c1.ws.terminate();
    const rec = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(rec.reason, 'alpaca_ws_closed_1006');
    assert.equal(rec.nextAttemptAtMs, rec.atMs + 90_000, 'waits out the slot instead of meeting a 406');
    h.clock.advance(89_999);
    assert.equal(connecting(h), 1, 'no attempt while the slot lingers');
    h.clock.advance(1);
    await srv.connections.waitFor((c) => c.id !== c1.id);
    await h.states.waitFor((s) => s.status === 'healthy', h.states.all.indexOf(rec));
    await h.stream.stop();
  });

  test('a drop before auth holds no slot: the plain backoff applies', async () => {
    const srv = await server({ onAuth: () => ({ T: 'success', msg: 'never-authenticated' }) });
    const h = createHarness(
      { streamUrl: srv.url, reconnect: { baseMs: 1_000, maxMs: 8_000, cooldown406Ms: 90_000 } },
      { random: () => 0.5 },
    );
    h.stream.start();
    const c1 = await srv.connections.waitFor(() => true);
    await c1.messages.waitFor((m) => m.action === 'auth');
    c1.ws.terminate();
    const rec = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(rec.reason, 'alpaca_ws_closed_1006');
    assert.equal(rec.nextAttemptAtMs, rec.atMs + 1_500);
    await h.stream.stop();
  });

  test('updateSubscriptions sends unsubscribe/subscribe diffs on the same socket', async () => {
    const srv = await server();
    const h = createHarness({ streamUrl: srv.url });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    await h.states.waitFor((s) => s.status === 'healthy');
    h.stream.updateSubscriptions(
      normaliseSubscriptions({ trades: ['MSFT'], bars: ['AAPL', 'MSFT'], quotes: ['msft'] }),
    );
    const unsub = await conn.messages.waitFor((m) => m.action === 'unsubscribe');
    assert.deepEqual(unsub, { action: 'unsubscribe', trades: ['AAPL'] });
    const sub = await conn.messages.waitFor((m) => m.action === 'subscribe', 2);
    assert.deepEqual(sub, { action: 'subscribe', trades: ['MSFT'], quotes: ['MSFT'] });
    const confirmed = await h.confirmed.waitFor(
      (s) => s.quotes.includes('MSFT') && s.trades.includes('MSFT'),
    );
    assert.deepEqual(confirmed.trades, ['MSFT']);
    assert.equal(srv.connections.all.length, 1);
    assert.deepEqual(h.stream.subscriptions().confirmed, h.stream.subscriptions().desired);
    await h.stream.stop();
  });

  test('405 on a subscription change → degraded, connection kept; a later ack → healthy', async () => {
    let reject = false;
    const srv = await server({
      reject: () => (reject ? { T: 'error', code: 405, msg: 'symbol limit exceeded' } : null),
    });
    const h = createHarness({ streamUrl: srv.url });
    h.stream.start();
    await h.states.waitFor((s) => s.status === 'healthy');
    reject = true;
    h.stream.updateSubscriptions(
      normaliseSubscriptions({ trades: ['AAPL', 'B', 'C'], bars: ['AAPL', 'MSFT'] }),
    );
    const d = await h.states.waitFor((s) => s.status === 'degraded');
    assert.equal(d.reason, 'alpaca_405_symbol_limit');
    reject = false;
    h.stream.updateSubscriptions(normaliseSubscriptions({ trades: ['AAPL'], bars: ['AAPL'] }));
    await h.states.waitFor((s) => s.status === 'healthy', 2);
    assert.equal(srv.connections.all.length, 1);
    await h.stream.stop();
  });

  test('an ack without a wanted symbol → degraded subscription_incomplete, bounded resubscribes, healthy once acked', async () => {
    let withheld: string[] = ['MSFT'];
    const srv = await server({ withhold: () => withheld });
    const h = createHarness({
      streamUrl: srv.url,
      resubscribe: { baseMs: 1_000, maxMs: 4_000, maxAttempts: 3 },
    });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    const d = await h.states.waitFor((s) => s.status === 'degraded');
    assert.equal(d.reason, 'alpaca_subscription_incomplete');
    assert.equal(d.errorClass, 'subscription_incomplete');
    const check = await h.checks.waitFor((c) => c.missingCount > 0);
    assert.deepEqual(check.missing.bars, ['MSFT']);
    assert.equal(check.missingCount, 1);
    assert.equal(check.retrying, true);
    // First resubscribe after baseMs, with only the missing symbol.
    h.clock.advance(999);
    assert.equal(h.resubscribes.all.length, 0);
    const before = conn.messages.all.length;
    h.clock.advance(1);
    const re1 = await conn.messages.waitFor((m) => m.action === 'subscribe', before);
    assert.deepEqual(re1, { action: 'subscribe', bars: ['MSFT'] });
    await h.checks.waitFor((c) => c.resubscribeAttempts === 1);
    // Still withheld: no second degraded event for the same set.
    assert.equal(h.states.all.filter((s) => s.status === 'degraded').length, 1);
    withheld = [];
    const before2 = conn.messages.all.length;
    h.clock.advance(2_000);
    await conn.messages.waitFor((m) => m.action === 'subscribe', before2);
    const ok = await h.checks.waitFor((c) => c.missingCount === 0);
    assert.equal(ok.resubscribeAttempts, 2);
    await h.states.waitFor((s) => s.status === 'healthy', h.states.all.indexOf(d));
    assert.equal(srv.connections.all.length, 1);
    await h.stream.stop();
  });

  test('resubscribes stop after maxAttempts; the missing set stays reported', async () => {
    const srv = await server({ withhold: () => ['AAPL'] });
    const h = createHarness({ streamUrl: srv.url, resubscribe: { baseMs: 100, maxMs: 100, maxAttempts: 2 } });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    await h.checks.waitFor((c) => c.missingCount === 2);
    h.clock.advance(100);
    await h.checks.waitFor((c) => c.resubscribeAttempts === 1);
    h.clock.advance(100);
    const last = await h.checks.waitFor((c) => c.resubscribeAttempts === 2);
    assert.equal(last.retrying, false);
    assert.deepEqual(last.missing.trades, ['AAPL']);
    assert.deepEqual(last.missing.bars, ['AAPL']);
    // Well past every further delay (and short of the ping interval): no third resubscribe.
    h.clock.advance(5_000);
    assert.equal(conn.messages.all.filter((m) => m.action === 'subscribe').length, 3);
    assert.equal(h.stream.state()?.status, 'degraded');
    await h.stream.stop();
  });

  test('a list split over several subscribe messages is checked against the union of its acks', async () => {
    const srv = await server();
    const h = createHarness({
      streamUrl: srv.url,
      maxSymbolsPerMessage: 1,
      subscriptions: normaliseSubscriptions({ trades: ['AAPL', 'MSFT'], quotes: ['TSLA'] }),
    });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    await conn.messages.waitFor((m) => m.action === 'subscribe', 3);
    const check = await h.checks.waitFor(() => true);
    assert.equal(check.missingCount, 0);
    assert.equal(h.confirmed.all.length, 3);
    assert.equal(h.checks.all.length, 1);
    assert.deepEqual(
      h.states.all.map((s) => s.status),
      ['connecting', 'healthy'],
    );
    await h.stream.stop();
  });

  test('406 → error state with the cool-down; no attempt before it', async () => {
    let refuse = true;
    const srv = await server({
      onAuth: () =>
        refuse
          ? { T: 'error', code: 406, msg: 'connection limit exceeded' }
          : { T: 'success', msg: 'authenticated' },
    });
    const h = createHarness({ streamUrl: srv.url, reconnect: { cooldown406Ms: 90_000 } });
    h.stream.start();
    const c1 = await srv.connections.waitFor(() => true);
    const err = await h.states.waitFor((s) => s.status === 'error');
    assert.equal(err.errorClass, 'alpaca_406_second_connection');
    assert.equal(err.reason, 'alpaca_406_connection_limit');
    assert.equal(err.nextAttemptAtMs, err.atMs + 90_000);
    assert.equal((await c1.closed).code, 1000, 'the refused socket is closed cleanly');
    h.clock.advance(89_999);
    assert.equal(connecting(h), 1, 'no attempt during the cool-down');
    refuse = false;
    h.clock.advance(1);
    await h.states.waitFor((s) => s.status === 'healthy');
    assert.equal(srv.connections.all.length, 2);
    await h.stream.stop();
  });

  test('402 wrong keys → alpaca_auth error and a long fixed wait, not a tight loop', async () => {
    const srv = await server({ onAuth: () => ({ T: 'error', code: 402, msg: 'auth failed' }) });
    const h = createHarness({ streamUrl: srv.url, reconnect: { permanentRetryMs: 300_000 } });
    h.stream.start();
    const err = await h.states.waitFor((s) => s.status === 'error');
    assert.equal(err.errorClass, 'alpaca_auth');
    assert.equal(err.reason, 'alpaca_402_auth_failed');
    assert.equal(err.nextAttemptAtMs, err.atMs + 300_000);
    h.clock.advance(299_999);
    assert.equal(connecting(h), 1, 'no attempt before the permanent-failure wait');
    h.clock.advance(1);
    assert.equal(connecting(h), 2);
    await srv.connections.waitFor((c) => c.id === 2);
    await h.stream.stop();
  });

  test('reconnect() (a channel that must flow is silent) → alpaca_stream_stale, clean close, reconnect; silence alone never reconnects', async () => {
    const srv = await server();
    const h = createHarness({ streamUrl: srv.url, timing: { pingIntervalMs: 1_000_000 } });
    h.stream.start();
    const c1 = await srv.connections.waitFor(() => true);
    const healthy = await h.states.waitFor((s) => s.status === 'healthy');
    // No whole-socket timer any more: 15 minutes of silence (the old stale window was 180 s)
    // keep the connection (pings are further apart here).
    h.clock.advance(900_000);
    assert.equal(h.states.all.at(-1), healthy);
    h.stream.reconnect();
    const st = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_stream_stale');
    assert.equal((await c1.closed).code, 1000);
    h.clock.advance((st.nextAttemptAtMs ?? 0) - h.clock.now());
    await srv.connections.waitFor((c) => c.id !== c1.id);
    await h.states.waitFor((s) => s.status === 'healthy', h.states.all.indexOf(st));
    await h.stream.stop();
  });

  test('dead peer (no pong) → terminate and reconnect with alpaca_ping_timeout', async () => {
    const srv = await server({ autoPong: false });
    const h = createHarness({ streamUrl: srv.url, timing: { pingIntervalMs: 10_000, pongTimeoutMs: 5_000 } });
    h.stream.start();
    const c1 = await srv.connections.waitFor(() => true);
    await h.states.waitFor((s) => s.status === 'healthy');
    h.clock.advance(10_000);
    await new Promise<void>((resolve) => c1.ws.once('ping', () => resolve()));
    h.clock.advance(5_000);
    const st = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_ping_timeout');
    await h.stream.stop();
  });

  test('upgrade refused with 429 + Retry-After → reconnect no sooner than Retry-After', async () => {
    const srv = await server({ refuseUpgrade: () => ({ status: 429, headers: { 'Retry-After': '20' } }) });
    const h = createHarness({ streamUrl: srv.url });
    h.stream.start();
    const st = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_http_429_rate_limited');
    assert.equal(st.nextAttemptAtMs, st.atMs + 20_000);
    await h.stream.stop();
  });

  test('connection refused → reconnect with alpaca_ws_connect_failed', async () => {
    const srv = await server();
    const url = srv.url;
    await srv.close();
    const h = createHarness({ streamUrl: url });
    h.stream.start();
    const st = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_ws_connect_failed');
    await h.stream.stop();
  });

  test('the failure count resets once a connection stayed healthy longer than the wait before it', async () => {
    const srv = await server();
    const h = createHarness(
      {
        streamUrl: srv.url,
        reconnect: { baseMs: 1_000, maxMs: 60_000, healthyResetMs: 30_000 },
        timing: { pingIntervalMs: 1_000_000 },
      },
      { random: () => 1 },
    );
    h.stream.start();
    const dropAndWait = async (n: number) => {
      const conn = await srv.connections.waitFor((c) => c.id === n);
      await h.states.waitFor((s) => s.status === 'healthy', h.states.all.length - 1);
      return conn;
    };
    const c1 = await dropAndWait(1);
    h.clock.advance(1_000);
    c1.ws.close(1011);
    const r1 = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(r1.attempt, 1);
    assert.equal(r1.nextAttemptAtMs, r1.atMs + 2_000);
    h.clock.advance(2_000);
    const c2 = await dropAndWait(2);
    h.clock.advance(1_999);
    c2.ws.close(1011);
    const r2 = await h.states.waitFor((s) => s.status === 'reconnect', h.states.all.indexOf(r1) + 1);
    assert.equal(r2.attempt, 2, 'dropped sooner than the 2 s it waited: failures keep counting');
    assert.equal(r2.nextAttemptAtMs, r2.atMs + 4_000);
    h.clock.advance(4_000);
    const c3 = await dropAndWait(3);
    h.clock.advance(4_000);
    c3.ws.close(1011);
    const r3 = await h.states.waitFor((s) => s.status === 'reconnect', h.states.all.indexOf(r2) + 1);
    assert.equal(r3.attempt, 1, 'healthy as long as the 4 s it waited: the count starts afresh');
    assert.equal(r3.nextAttemptAtMs, r3.atMs + 2_000);
    await h.stream.stop();
  });

  test('no welcome within the handshake deadline → alpaca_handshake_timeout, clean close', async () => {
    const srv = await server({ silent: true });
    const h = createHarness({ streamUrl: srv.url, timing: { handshakeTimeoutMs: 10_000 } });
    h.stream.start();
    const conn = await srv.connections.waitFor(() => true);
    // something that is not a welcome proves the client socket is open; then time passes
    conn.send([{ T: 'zz' }]);
    await h.issues.waitFor((i) => i.type === 'zz');
    h.clock.advance(10_000);
    const st = await h.states.waitFor((s) => s.status === 'reconnect');
    assert.equal(st.reason, 'alpaca_handshake_timeout');
    assert.equal((await conn.closed).code, 1000);
    await h.stream.stop();
  });
});
