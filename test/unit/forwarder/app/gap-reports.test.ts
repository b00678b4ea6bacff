import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createGapReports } from '../../../../forwarder/app/gap-reports.ts';
import { createMetrics } from '../../../../forwarder/health/metrics.ts';
import { SeqAllocator } from '../../../../forwarder/pipeline/seq.ts';
import { createStatusPublisher } from '../../../../forwarder/status/publisher.ts';
import { envelopeErrors } from '../../../support/envelope-schema.ts';
import { MemorySink } from '../../../support/fake-sink.ts';

const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);

function setup() {
  const sink = new MemorySink();
  const metrics = createMetrics({ defaultMetrics: false });
  const publish = createStatusPublisher({
    feed: 'iex',
    topic: 'status',
    sink,
    seq: new SeqAllocator(T0),
    nowMicros: () => T0 * 1000,
    logger: pino({ level: 'silent' }),
  });
  const reports = createGapReports({
    feed: 'iex',
    metrics,
    publish: (e) => publish.event(e),
    logger: pino({ level: 'silent' }),
    now: () => T0 + 5_000,
  });
  return { sink, metrics, reports };
}

test('a gap REST could not fill is counted by stream and reason and published as degraded with its bounds', async () => {
  const { sink, metrics, reports } = setup();
  reports.fillFailed(
    { fromMs: T0 - 60_000, toMs: T0 },
    { errorClass: 'alpaca_auth', reason: 'alpaca_rest_403_forbidden' },
  );
  const text = await metrics.registry.metrics();
  assert.match(
    text,
    /^alpaca_forwarder_gap_fill_failures_total\{stream="market_data",reason="alpaca_rest_403_forbidden"\} 1$/m,
  );
  assert.match(text, /^alpaca_forwarder_status_events_total\{stream="market_data"\} 1$/m);
  assert.equal(sink.records.length, 1);
  const record = sink.records[0];
  assert.equal(record?.topic, 'status');
  assert.equal(record?.key, 'market_data');
  const envelope = JSON.parse(record?.value ?? '{}');
  assert.deepEqual(envelopeErrors(envelope), []);
  assert.deepEqual(envelope.payload, {
    stream: 'market_data',
    status: 'degraded',
    reason: 'alpaca_rest_403_forbidden',
    error_class: 'alpaca_auth',
    attempt: 0,
    gap_from: '2026-01-05T14:59:00.000Z',
    gap_to: '2026-01-05T15:00:00.000Z',
    ts: '2026-01-05T15:00:05.000Z',
    feed: 'iex',
  });
});

test('a trade-updates gap is counted and published as degraded trade_updates_gap with its bounds', async () => {
  const { sink, metrics, reports } = setup();
  reports.tradeUpdatesGap({ fromMs: T0 - 2_000, toMs: T0 });
  const text = await metrics.registry.metrics();
  assert.match(text, /^alpaca_forwarder_trade_updates_gaps_total 1$/m);
  assert.match(text, /^alpaca_forwarder_status_events_total\{stream="trade_updates"\} 1$/m);
  assert.equal(sink.records[0]?.key, 'trade_updates');
  const envelope = JSON.parse(sink.records[0]?.value ?? '{}');
  assert.deepEqual(envelopeErrors(envelope), []);
  assert.deepEqual(envelope.payload, {
    stream: 'trade_updates',
    status: 'degraded',
    reason: 'trade_updates_gap',
    error_class: null,
    attempt: 0,
    gap_from: '2026-01-05T14:59:58.000Z',
    gap_to: '2026-01-05T15:00:00.000Z',
    ts: '2026-01-05T15:00:05.000Z',
    feed: 'alpaca',
  });
});

test('a reconciled trade-updates gap is still reported, with the fills fetched and why some are missing', async () => {
  const { sink, metrics, reports } = setup();
  const gap = { fromMs: T0 - 2_000, toMs: T0 };
  reports.tradeUpdatesGap(gap, { fillsFetched: 3 });
  reports.tradeUpdatesGap(gap, {
    fillsFetched: 1,
    error: { errorClass: 'alpaca_auth', reason: 'alpaca_rest_403_forbidden' },
  });
  const payloads = sink.records.map((r) => JSON.parse(r.value ?? '{}').payload);
  assert.equal(payloads[0].reason, 'trade_updates_gap');
  assert.equal(payloads[0].fills_fetched, 3);
  assert.equal(payloads[0].fills_error, undefined);
  assert.equal(payloads[0].error_class, null);
  assert.equal(payloads[1].fills_fetched, 1);
  assert.equal(payloads[1].fills_error, 'alpaca_rest_403_forbidden');
  assert.equal(payloads[1].error_class, 'alpaca_auth');
  const text = await metrics.registry.metrics();
  assert.match(text, /^alpaca_forwarder_trade_updates_gaps_total 2$/m);
  assert.match(
    text,
    /^alpaca_forwarder_gap_fill_failures_total\{stream="trade_updates",reason="alpaca_rest_403_forbidden"\} 1$/m,
  );
});
