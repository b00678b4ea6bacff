import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readinessBodySchema } from '../../../../contracts/readiness.ts';
import type { StreamState } from '../../../../forwarder/alpaca/types.ts';
import { evaluateReadiness, ReadinessTracker } from '../../../../forwarder/health/readiness.ts';
import type { SinkHealth } from '../../../../forwarder/kafka/sink.ts';
import { HEALTHY_SINK } from '../../../support/fake-sink.ts';

const kafkaOk: SinkHealth = HEALTHY_SINK;
const healthy = (stream: StreamState['stream']): StreamState => ({
  stream,
  status: 'healthy',
  reason: null,
  errorClass: null,
  attempt: 0,
  atMs: 0,
});

describe('readiness', () => {
  test('ready when market data and Kafka are healthy; trade_updates null when disabled', () => {
    const s = evaluateReadiness({
      marketData: healthy('market_data'),
      tradeUpdates: undefined,
      kafka: kafkaOk,
    });
    assert.equal(s.ready, true);
    assert.equal(s.error_class, null);
    assert.deepEqual(s.gates, { alpaca_ws: true, kafka: true, trade_updates: null });
  });

  test('first connect: not ready, no error class, reason alpaca_ws_connecting', () => {
    const s = evaluateReadiness({ marketData: null, tradeUpdates: null, kafka: kafkaOk });
    assert.equal(s.ready, false);
    assert.equal(s.error_class, null);
    assert.equal(s.reason, 'alpaca_ws_connecting');
    assert.deepEqual(s.gates, { alpaca_ws: false, kafka: true, trade_updates: false });
  });

  test('lagging alone keeps the forwarder ready; the lag is in detail', () => {
    const s = evaluateReadiness({
      marketData: healthy('market_data'),
      tradeUpdates: undefined,
      kafka: kafkaOk,
      lag: { lagMs: 7_250.4, lagging: true, thresholdMs: 2_000 },
    });
    assert.equal(s.ready, true);
    assert.equal(s.reason, null);
    assert.deepEqual(s.detail.lag, { lag_ms: 7_250, lagging: true, threshold_ms: 2_000 });
    assert.ok(readinessBodySchema.safeParse({ ...s, since: new Date(0).toISOString() }).success);
  });

  test('stale channels and symbols keep the forwarder ready; they are in detail.freshness', () => {
    const s = evaluateReadiness({
      marketData: healthy('market_data'),
      tradeUpdates: undefined,
      kafka: kafkaOk,
      freshness: {
        phase: 'regular',
        calendar: 'fallback',
        calendarReason: 'HTTP 503',
        staleAfterMs: 180_000,
        staleChannels: ['quotes'],
        staleSymbols: ['quotes:AAPL', 'trades:TSLA'],
        staleCounts: { trades: 1, quotes: 40, bars: 0 },
      },
    });
    assert.equal(s.ready, true);
    assert.deepEqual(s.detail.freshness, {
      phase: 'regular',
      calendar: 'fallback',
      calendar_reason: 'HTTP 503',
      stale_after_ms: 180_000,
      stale_channels: ['quotes'],
      stale_symbols: ['quotes:AAPL', 'trades:TSLA'],
      stale_symbol_counts: { trades: 1, quotes: 40, bars: 0 },
    });
    assert.ok(readinessBodySchema.safeParse({ ...s, since: new Date(0).toISOString() }).success);
  });

  test('406 wins over a Kafka failure; reason comes from the same gate', () => {
    const s = evaluateReadiness({
      marketData: {
        ...healthy('market_data'),
        status: 'error',
        reason: 'alpaca_406_connection_limit',
        errorClass: 'alpaca_406_second_connection',
      },
      tradeUpdates: undefined,
      kafka: { ...kafkaOk, ok: false, errorClass: 'kafka_produce', reason: 'kafka_produce' },
    });
    assert.equal(s.error_class, 'alpaca_406_second_connection');
    assert.equal(s.reason, 'alpaca_406_connection_limit');
    assert.deepEqual(s.gates, { alpaca_ws: false, kafka: false, trade_updates: null });
    assert.deepEqual(s.detail.failing_gates, ['alpaca_ws', 'kafka']);
  });

  test('kafka_auth outranks a trade-updates unknown error; a connecting stream does not hide a real error', () => {
    const s = evaluateReadiness({
      marketData: { ...healthy('market_data'), status: 'connecting', attempt: 2 },
      tradeUpdates: {
        ...healthy('trade_updates'),
        status: 'reconnect',
        reason: 'socket_closed',
        errorClass: null,
      },
      kafka: { ...kafkaOk, ok: false, errorClass: 'kafka_auth', reason: 'kafka_sasl_authentication_failed' },
    });
    assert.equal(s.error_class, 'kafka_auth');
    assert.equal(s.reason, 'kafka_sasl_authentication_failed');
  });

  test('kafka_topic_missing names the missing topics in detail.kafka.missing_topics', () => {
    const s = evaluateReadiness({
      marketData: healthy('market_data'),
      tradeUpdates: undefined,
      kafka: {
        ...kafkaOk,
        ok: false,
        errorClass: 'kafka_metadata',
        reason: 'kafka_topic_missing',
        missingTopics: ['torghut.bars.1m.v1', 'torghut.status.v1'],
      },
    });
    assert.equal(s.reason, 'kafka_topic_missing');
    assert.deepEqual((s.detail.kafka as Record<string, unknown>).missing_topics, [
      'torghut.bars.1m.v1',
      'torghut.status.v1',
    ]);
    const healthyAgain = evaluateReadiness({
      marketData: healthy('market_data'),
      tradeUpdates: undefined,
      kafka: kafkaOk,
    });
    assert.equal('missing_topics' in (healthyAgain.detail.kafka as Record<string, unknown>), false);
  });

  test('Kafka not connected yet: not ready without an error class', () => {
    const s = evaluateReadiness({
      marketData: healthy('market_data'),
      tradeUpdates: undefined,
      kafka: { ...kafkaOk, ok: false, reason: 'kafka_not_connected' },
    });
    assert.equal(s.ready, false);
    assert.equal(s.error_class, null);
    assert.equal(s.reason, 'kafka_not_connected');
  });

  test('a raw upstream string is never passed through as reason', () => {
    const s = evaluateReadiness({
      marketData: {
        ...healthy('market_data'),
        status: 'error',
        reason: 'Auth failed for key PK123',
        errorClass: 'alpaca_auth',
      },
      tradeUpdates: undefined,
      kafka: kafkaOk,
    });
    assert.equal(s.reason, 'alpaca_ws_error');
    assert.doesNotMatch(JSON.stringify(s), /PK123/);
  });

  test('since changes only when ready/error_class/reason change; body matches the contract', () => {
    let now = Date.UTC(2026, 0, 1);
    const tracker = new ReadinessTracker(() => now);
    const notReady = evaluateReadiness({ marketData: null, tradeUpdates: undefined, kafka: kafkaOk });
    const b1 = tracker.body(notReady);
    now += 5000;
    const b2 = tracker.body(notReady);
    assert.equal(b1.since, b2.since);
    now += 5000;
    const b3 = tracker.body(
      evaluateReadiness({ marketData: healthy('market_data'), tradeUpdates: undefined, kafka: kafkaOk }),
    );
    assert.equal(b3.since, new Date(now).toISOString());
    for (const b of [b1, b3]) assert.equal(readinessBodySchema.safeParse(b).success, true);
  });
});
