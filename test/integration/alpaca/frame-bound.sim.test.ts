/**
 * Frames over the stream's size bound (frame-bounds.ts) are a protocol error: the socket is
 * closed, the stream reconnects with reason alpaca_frame_too_large, and data flows again.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MAX_MARKET_DATA_FRAME_BYTES } from '../../../forwarder/alpaca/frame-bounds.ts';
import { type AlpacaSim, ManualClock, startAlpacaSim } from '../../sim/alpaca/index.ts';
import { simStream } from './sim-harness.ts';

const sims: AlpacaSim[] = [];
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

for (const encoding of ['json', 'msgpack'] as const) {
  test(`${encoding}: a frame over the bound closes and reconnects (counted reason); one under it is decoded`, async () => {
    const clock = new ManualClock();
    const s = await startAlpacaSim({ clock, testStream: false, lingerMs: 0 });
    sims.push(s);
    const h = simStream(clock, {
      streamUrl: s.urls.stream,
      encoding,
      reconnect: { baseMs: 100, maxMs: 100 },
    });
    h.stream.start();
    const c1 = await s.log.waitForConnection();
    await h.states.waitFor((x) => x.status === 'healthy');
    // Under the bound: a trade with a field past its own bound is dropped, the socket stays.
    const under = JSON.stringify([
      {
        T: 't',
        S: 'AAPL',
        i: 1,
        x: 'V',
        p: 1,
        s: 1,
        t: '2026-01-05T15:00:00Z',
        pad: 'p'.repeat(MAX_MARKET_DATA_FRAME_BYTES / 2),
      },
    ]);
    s.pushFrame(c1.id, under, { binary: encoding === 'msgpack' });
    await h.issues.waitFor((i) => i.reason === 'oversized_field' || i.reason === 'invalid_msgpack');
    const over = `[{"T":"t","S":"AAPL","pad":"${'p'.repeat(MAX_MARKET_DATA_FRAME_BYTES)}"}]`;
    s.pushFrame(c1.id, over, { binary: encoding === 'msgpack' });
    const failed = await h.states.waitFor((x) => x.status === 'reconnect');
    assert.equal(failed.reason, 'alpaca_frame_too_large');
    await s.log.waitForClose(c1.id);
    const from = h.states.all.length;
    clock.advance(1_000);
    await h.states.waitFor((x) => x.status === 'healthy', from);
    s.push([s.data.trade('AAPL', { i: 42 })]);
    const e = await h.events.waitFor((x) => x.payload.i === 42);
    assert.equal(e.symbol, 'AAPL');
    assert.equal(h.events.all.length, 1, 'nothing from the oversized frames was forwarded');
    await h.stream.stop();
  });
}
