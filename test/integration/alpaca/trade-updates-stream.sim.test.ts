/** The trade-updates stream against the simulator's /stream endpoint (paper: binary JSON frames; live: text). */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createTradeUpdatesStream } from '../../../forwarder/alpaca/trade-updates-stream.ts';
import type { AlpacaEvent, StreamState } from '../../../forwarder/alpaca/types.ts';
import { type AlpacaSim, ManualClock, startAlpacaSim, tradeUpdate } from '../../sim/alpaca/index.ts';
import { createRecorder } from '../../support/recorder.ts';
import { silentLogger } from '../../support/silent-logger.ts';
import { clockOf, QUIET_TIMING } from './sim-harness.ts';

const sims: AlpacaSim[] = [];
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

async function run(tradingFrames: 'binary' | 'text', secret: string) {
  const clock = new ManualClock();
  const sim = await startAlpacaSim({ clock, testStream: false, tradingFrames });
  sims.push(sim);
  const states = createRecorder<StreamState>();
  const events = createRecorder<AlpacaEvent>();
  const stream = createTradeUpdatesStream(
    {
      tradeStreamUrl: sim.urls.stream,
      credentials: { keyId: 'PKTEST', secretKey: secret },
      timing: QUIET_TIMING,
      reconnect: { permanentRetryMs: 600_000, baseMs: 1_000 },
    },
    {
      logger: silentLogger,
      clock: clockOf(clock),
      random: () => 0,
      onState: (s) => states.push(s),
      onEvents: (b) => {
        for (const e of b) events.push(e);
      },
    },
  );
  return { sim, clock, states, events, stream };
}

for (const frames of ['binary', 'text'] as const) {
  test(`trade updates (${frames} frames): auth, listen, updates with decimal strings; reconnect after a drop`, async () => {
    const { sim, clock, states, events, stream } = await run(frames, 'SKTEST');
    stream.start();
    const conn = await sim.log.waitForConnection();
    assert.equal(conn.path, '/stream');
    await states.waitFor((s) => s.status === 'healthy' && s.stream === 'trade_updates');
    assert.deepEqual(sim.log.connection(conn.id).listening, ['trade_updates']);
    const n = sim.pushTradeUpdate(
      tradeUpdate({
        event: 'fill',
        symbol: 'AAPL',
        qty: '1790.86',
        price: '105.89',
        timestamp: '2026-01-05T15:00:00.123456789Z',
      }),
    );
    assert.equal(n, 1);
    const e = await events.waitFor(() => true);
    assert.equal(e.channel, 'trade_updates');
    assert.equal(e.symbol, 'AAPL');
    assert.equal(e.payload.event, 'fill');
    assert.equal(e.payload.price, '105.89');
    assert.equal(e.payload.qty, '1790.86');
    assert.equal(e.eventTs, '2026-01-05T15:00:00.123456789Z');
    sim.drop(conn.id);
    const rec = await states.waitFor((s) => s.status === 'reconnect');
    assert.equal(rec.stream, 'trade_updates');
    clock.set(rec.nextAttemptAtMs ?? 0);
    const c2 = await sim.log.waitForConnection((c) => c.id !== conn.id);
    await states.waitFor((s) => s.status === 'healthy', states.all.indexOf(rec));
    assert.deepEqual(sim.log.connection(c2.id).listening, ['trade_updates']);
    await stream.stop();
    assert.equal((await sim.log.waitForClose(c2.id)).how, 'clean');
  });
}

test('trade updates with wrong keys → alpaca_auth error, long wait', async () => {
  const { sim, clock, states, stream } = await run('binary', 'wrong');
  stream.start();
  const err = await states.waitFor((s) => s.status === 'error');
  assert.equal(err.errorClass, 'alpaca_auth');
  assert.equal(err.reason, 'alpaca_trade_updates_unauthorized');
  assert.equal(err.nextAttemptAtMs, err.atMs + 600_000);
  clock.advance(599_999);
  assert.equal(sim.log.connectionList().length, 1);
  await stream.stop();
});
