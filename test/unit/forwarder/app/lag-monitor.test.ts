import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMarketDataStream } from '../../../../forwarder/alpaca/market-data-stream.ts';
import type { SocketEvents, SocketFactory } from '../../../../forwarder/alpaca/socket.ts';
import { normaliseSubscriptions } from '../../../../forwarder/alpaca/subscriptions.ts';
import type { AlpacaEvent, StreamState } from '../../../../forwarder/alpaca/types.ts';
import { createLagMonitor, type LagChange } from '../../../../forwarder/app/lag-monitor.ts';
import { evaluateReadiness } from '../../../../forwarder/health/readiness.ts';
import { lagEvent } from '../../../../forwarder/status/status-event.ts';
import { HEALTHY_SINK } from '../../../support/fake-sink.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

const wsEvent = (eventMs: number, source: 'ws' | 'rest' = 'ws'): AlpacaEvent => ({
  channel: 'trades',
  symbol: 'AAPL',
  payload: {},
  eventTs: new Date(eventMs).toISOString().replace('Z', '123456Z'),
  receivedAtMs: eventMs,
  source,
});

describe('lag monitor', () => {
  test('lagging at the threshold, healthy below half of it; REST events do not count', () => {
    const clock = createManualClock();
    const changes: LagChange[] = [];
    const gauge: number[] = [];
    const m = createLagMonitor({
      thresholdMs: 2_000,
      clock,
      onChange: (c) => changes.push(c),
      onLag: (s) => gauge.push(s),
    });
    m.observe([wsEvent(clock.now() - 1_999)]);
    assert.deepEqual(changes, []);
    m.observe([wsEvent(clock.now() - 60_000, 'rest')]);
    assert.deepEqual(m.snapshot(), { lagMs: 1_999, lagging: false });
    // The newest WS event of the batch counts.
    m.observe([wsEvent(clock.now() - 9_000), wsEvent(clock.now() - 2_500), wsEvent(0, 'rest')]);
    assert.deepEqual(changes, [{ lagging: true, lagMs: 2_500, atMs: clock.now() }]);
    m.observe([wsEvent(clock.now() - 1_200)]);
    assert.equal(m.snapshot().lagging, true, 'no flapping just under the threshold');
    m.observe([wsEvent(clock.now() - 999)]);
    assert.deepEqual(changes.at(-1), { lagging: false, lagMs: 999, atMs: clock.now() });
    assert.deepEqual(gauge, [1.999, 2.5, 1.2, 0.999]);
    m.stop();
  });

  test('lagging and then no frame for a threshold: caught up (nothing waits to be read)', () => {
    const clock = createManualClock();
    const changes: LagChange[] = [];
    const m = createLagMonitor({ thresholdMs: 2_000, clock, onChange: (c) => changes.push(c) });
    m.observe([wsEvent(clock.now() - 5_000)]);
    clock.advance(1_999);
    assert.equal(changes.length, 1);
    clock.advance(1);
    assert.deepEqual(changes.at(-1), { lagging: false, lagMs: 0, atMs: clock.now() });
    assert.deepEqual(m.snapshot(), { lagMs: 0, lagging: false });
  });

  test('status events: lagging with reason and lag_ms, then healthy', () => {
    const at = Date.UTC(2026, 0, 5, 15);
    assert.deepEqual(lagEvent(true, 2_500.6, at, 'sip'), {
      stream: 'market_data',
      status: 'lagging',
      reason: 'alpaca_ws_lagging',
      error_class: null,
      attempt: 0,
      lag_ms: 2_501,
      ts: '2026-01-05T15:00:00.000Z',
      feed: 'sip',
    });
    assert.equal(lagEvent(false, 10, at, 'sip').status, 'healthy');
    assert.equal(lagEvent(false, 10, at, 'sip').reason, null);
  });
});

/**
 * A scripted Alpaca on a fake socket: welcome, auth and subscription acks in JSON; pings are
 * never answered (the pong would wait behind the data). `deliver` hands frames to the reader.
 */
function fakeAlpacaSocket() {
  let events: SocketEvents | null = null;
  const calls: string[] = [];
  const reply = (msgs: unknown[]) => events?.onMessage(Buffer.from(JSON.stringify(msgs)), false);
  const factory: SocketFactory = (_url, _options, e) => {
    events = e;
    queueMicrotask(() => {
      e.onOpen();
      reply([{ T: 'success', msg: 'connected' }]);
    });
    return {
      send(data) {
        const msg = JSON.parse(String(data)) as { action: string; trades?: string[] };
        calls.push(msg.action);
        if (msg.action === 'auth') reply([{ T: 'success', msg: 'authenticated' }]);
        if (msg.action === 'subscribe')
          reply([{ T: 'subscription', trades: msg.trades ?? [], quotes: [], bars: [] }]);
      },
      ping: () => calls.push('ping'),
      close: (code) => {
        calls.push(`close:${code}`);
        queueMicrotask(() => e.onClose(code));
      },
      terminate: () => calls.push('terminate'),
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
      isOpen: true,
    };
  };
  return { factory, calls, deliver: (msgs: unknown[]) => reply(msgs) };
}

test('overload: a socket fed faster than the pipeline drains → lagging reported, no reconnect, then healthy', async () => {
  const clock = createManualClock();
  const sock = fakeAlpacaSocket();
  const states: StreamState[] = [];
  const changes: LagChange[] = [];
  const lag = createLagMonitor({ thresholdMs: 2_000, clock, onChange: (c) => changes.push(c) });
  let handled = 0;
  const PER_EVENT_MS = 2; // the pipeline drains 500 events/s
  const stream = createMarketDataStream(
    {
      streamUrl: 'ws://fake',
      feed: 'iex',
      encoding: 'json',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      subscriptions: normaliseSubscriptions({ trades: ['AAPL'] }),
    },
    {
      logger: silentLogger,
      clock,
      random: () => 0,
      socketFactory: sock.factory,
      // Each frame is handled as it is read (the read queue's slices inline): the worst case for
      // liveness, where the pong waits behind data.
      scheduleSlice: (fn) => fn(),
      onState: (s) => states.push(s),
      onEvents: (batch) => {
        // The pipeline's cost: time passes (and due timers such as pings fire) while it works.
        clock.advance(PER_EVENT_MS * batch.length);
        handled += batch.length;
        lag.observe(batch);
      },
    },
  );
  stream.start();
  await new Promise((r) => setImmediate(r));
  assert.equal(states.at(-1)?.status, 'healthy');
  // A burst offered at 1,000 events/s (a frame of 10 every 10 ms) for 10 s; frames wait in the
  // socket and are read back to back, each taking 20 ms to handle.
  const burstStart = clock.now();
  const trade = (i: number, atMs: number) => ({
    T: 't',
    S: 'AAPL',
    i,
    x: 'V',
    p: 100,
    s: 1,
    c: ['@'],
    z: 'C',
    t: new Date(atMs).toISOString(),
  });
  let id = 0;
  for (let k = 0; k < 1_000; k++) {
    const generatedAt = burstStart + k * 10;
    sock.deliver(Array.from({ length: 10 }, () => trade(id++, generatedAt)));
  }
  const lagAtEnd = lag.snapshot();
  assert.equal(handled, 10_000, 'every event read and handled');
  assert.ok(clock.now() - burstStart >= 20_000, 'past a ping and its pong deadline');
  assert.ok(sock.calls.filter((c) => c === 'ping').length >= 1, 'pings went out, no pong came back');
  assert.ok(!sock.calls.includes('terminate'), 'the socket is kept while behind');
  assert.deepEqual(
    states.map((s) => s.status),
    ['connecting', 'healthy'],
    'no reconnect on its own account',
  );
  assert.equal(lagAtEnd.lagging, true);
  assert.ok((lagAtEnd.lagMs ?? 0) >= 9_000, `lag grew with the backlog: ${lagAtEnd.lagMs}`);
  assert.equal(changes.length, 1);
  assert.equal(changes[0]?.lagging, true);
  // Readiness stays true while it only lags; the lag is in detail.
  const ready = evaluateReadiness({
    marketData: states.at(-1) ?? null,
    tradeUpdates: undefined,
    kafka: HEALTHY_SINK,
    lag: { ...lagAtEnd, thresholdMs: 2_000 },
  });
  assert.equal(ready.ready, true);
  assert.equal((ready.detail.lag as { lagging: boolean }).lagging, true);
  // The burst is over: live frames again, handled as they come → healthy.
  clock.advance(1_000);
  sock.deliver([trade(id++, clock.now())]);
  assert.deepEqual(
    changes.map((c) => c.lagging),
    [true, false],
  );
  await stream.stop();
  lag.stop();
});
