import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlpacaEvent, StreamState } from '../../../../forwarder/alpaca/types.ts';
import { createHeartbeat } from '../../../../forwarder/status/heartbeat.ts';
import type { StatusEvent } from '../../../../forwarder/status/status-event.ts';
import { createManualClock } from '../../../support/manual-clock.ts';

const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);

const ev = (
  channel: AlpacaEvent['channel'],
  receivedAtMs: number,
  source: 'ws' | 'rest' = 'ws',
): AlpacaEvent => ({
  channel,
  symbol: 'AAPL',
  payload: {},
  eventTs: null,
  receivedAtMs,
  source,
});

const healthy = (stream: StreamState['stream']): StreamState => ({
  stream,
  status: 'healthy',
  reason: null,
  errorClass: null,
  attempt: 0,
  atMs: T0,
});

function setup(intervalMs = 30_000) {
  const clock = createManualClock(T0);
  const published: StatusEvent[] = [];
  const hb = createHeartbeat({
    intervalMs,
    clock,
    streams: ['market_data', 'trade_updates'],
    feedOf: (s) => (s === 'trade_updates' ? 'alpaca' : 'iex'),
    publish: (e) => published.push(e),
  });
  return { clock, published, hb };
}

test('one heartbeat per stream per interval: connection state, newest socket event, events since the last one', () => {
  const { clock, published, hb } = setup();
  hb.start();
  clock.advance(29_999);
  assert.equal(published.length, 0, 'nothing before the interval');
  clock.advance(1);
  assert.deepEqual(published, [
    {
      stream: 'market_data',
      status: 'heartbeat',
      reason: null,
      error_class: null,
      attempt: 0,
      connection: 'idle',
      last_event_at: null,
      events: 0,
      interval_ms: 30_000,
      ts: '2026-01-05T15:00:30.000Z',
      feed: 'iex',
    },
    {
      stream: 'trade_updates',
      status: 'heartbeat',
      reason: null,
      error_class: null,
      attempt: 0,
      connection: 'idle',
      last_event_at: null,
      events: 0,
      interval_ms: 30_000,
      ts: '2026-01-05T15:00:30.000Z',
      feed: 'alpaca',
    },
  ]);

  hb.setState('market_data', healthy('market_data'));
  hb.setState('trade_updates', {
    ...healthy('trade_updates'),
    status: 'reconnect',
    reason: 'x',
    errorClass: 'unknown',
    attempt: 2,
  });
  hb.observe([ev('trades', T0 + 31_000), ev('quotes', T0 + 32_000), ev('bars', T0 + 33_000, 'rest')]);
  hb.observe([ev('trade_updates', T0 + 40_000)]);
  clock.advance(30_000);
  const [md, tu] = published.slice(2);
  assert.equal(md?.connection, 'healthy');
  assert.equal(md?.events, 2, 'REST events are not socket events');
  assert.equal(md?.last_event_at, '2026-01-05T15:00:32.000Z');
  assert.equal(tu?.connection, 'reconnect');
  assert.equal(tu?.error_class, 'unknown');
  assert.equal(tu?.attempt, 2);
  assert.equal(tu?.events, 1);
  assert.equal(tu?.last_event_at, '2026-01-05T15:00:40.000Z');

  // A quiet interval: counts start again at 0, the last event time is kept.
  clock.advance(30_000);
  const [md2, tu2] = published.slice(4);
  assert.equal(md2?.events, 0);
  assert.equal(md2?.last_event_at, '2026-01-05T15:00:32.000Z');
  assert.equal(tu2?.events, 0);
  assert.equal(published.length, 6);

  hb.stop();
  clock.advance(300_000);
  assert.equal(published.length, 6, 'none after stop');
  assert.equal(clock.pendingCount(), 0);
});

test('interval 0 disables heartbeats', () => {
  const { clock, published, hb } = setup(0);
  hb.start();
  assert.equal(clock.pendingCount(), 0);
  clock.advance(3_600_000);
  assert.equal(published.length, 0);
});
