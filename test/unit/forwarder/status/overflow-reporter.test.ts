/**
 * The overflow reporter on the real sink engine (fake Kafka client, manual timers): no
 * recursion, every dropped record reported, status events keep their reserved lane.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createBatchingSink } from '../../../../forwarder/kafka/batching-sink.ts';
import { SeqAllocator } from '../../../../forwarder/pipeline/seq.ts';
import { createOverflowReporter } from '../../../../forwarder/status/overflow-reporter.ts';
import { createStatusPublisher } from '../../../../forwarder/status/publisher.ts';
import { type StatusEvent, statusEnvelope } from '../../../../forwarder/status/status-event.ts';
import type { Clock } from '../../../../lib/time/clock.ts';
import { envelopeErrors } from '../../../support/envelope-schema.ts';
import { FakeClient, ManualTimers, settle, silentLogger } from '../../../support/kafka-fakes.ts';

const T0 = Date.UTC(2026, 0, 2, 15, 0, 0);

function clockOf(timers: ManualTimers): Clock {
  return {
    now: () => T0 + timers.now(),
    setTimeout: (fn, ms) => {
      const h = timers.setTimeout(fn, ms);
      return { cancel: () => timers.clearTimeout(h) };
    },
  };
}

async function setup() {
  const client = new FakeClient();
  const timers = new ManualTimers();
  const { logger, lines } = silentLogger();
  const sink = createBatchingSink(
    client,
    {
      topics: ['data', 'status'],
      lingerMs: 0,
      batchBytes: 1_000,
      maxBufferBytes: 10_000,
      reserved: { topics: ['status'], bytes: 4_000 },
    },
    { logger, timers },
  );
  const publishStatus = createStatusPublisher({
    feed: 'iex',
    topic: 'status',
    sink,
    seq: new SeqAllocator(T0),
    nowMicros: () => (T0 + timers.now()) * 1000,
    logger,
  });
  const overflowing: boolean[] = [];
  const reporter = createOverflowReporter({
    feed: 'iex',
    logger,
    health: () => sink.health(),
    publish: (e) => publishStatus.event(e),
    onOverflowing: (on) => overflowing.push(on),
    clock: clockOf(timers),
    intervalMs: 5_000,
  });
  sink.onHealthChange((h) => reporter.onHealth(h));
  await sink.start();
  await settle();
  return { client, timers, sink, lines, publishStatus, reporter, overflowing };
}

const data = (i: number) => ({ topic: 'data', key: 'AAPL', value: `${i}`.padEnd(480, '.') });

/** Status events among everything the sink handed to the client or still holds. */
function statusRecords(client: FakeClient): StatusEvent[] {
  return client.sends
    .flatMap((s) => s.batch.topicMessages)
    .filter((t) => t.topic === 'status')
    .flatMap((t) => t.messages.map((m) => JSON.parse(m.value).payload as StatusEvent));
}

async function drain(client: FakeClient): Promise<StatusEvent[]> {
  const out: StatusEvent[] = [];
  for (let i = 0; i < 1_000 && client.sends.length > 0; i += 1) {
    out.push(...statusRecords({ sends: [client.sends[0]] } as FakeClient));
    client.next().resolve();
    await settle();
  }
  return out;
}

test('Kafka healthy but slow: 5,000 records overflow; one coalesced report per interval, no recursion, every drop reported', async () => {
  const { client, timers, sink, lines, publishStatus, reporter, overflowing } = await setup();
  assert.equal(sink.health().ok, true);
  // The first batch stays in flight (a slow broker): the buffer fills and overflows.
  for (let i = 0; i < 5_000; i += 1) sink.send(data(i));
  const dropped = sink.health().overflowedRecords;
  assert.ok(dropped > 4_900, `${dropped} dropped`);
  assert.ok(!lines.some((l) => /listener threw|Maximum call stack/.test(l)), 'no recursion');
  // A stream state change while the data buffer is full still gets in (reserved lane).
  publishStatus({
    stream: 'market_data',
    status: 'reconnect',
    reason: 'alpaca_ws_closed_1006',
    errorClass: 'unknown',
    attempt: 1,
    atMs: T0,
  });
  assert.deepEqual(reporter.detail().overflowing, true);
  assert.equal(reporter.detail().while_kafka_healthy, true);
  for (let i = 5_000; i < 6_000; i += 1) sink.send(data(i));
  timers.advance(5_000);
  timers.advance(5_000);
  timers.advance(5_000);
  const status = await drain(client);
  const reports = status.filter((e) => e.reason === 'kafka_buffer_overflow');
  assert.ok(reports.length >= 1 && reports.length <= 3, `${reports.length} reports`);
  for (const r of reports) {
    assert.equal(r.status, 'degraded');
    assert.equal(r.error_class, null, 'Kafka was healthy: the forwarder could not keep up');
    assert.deepEqual(envelopeErrors(statusEnvelope(r, 1, T0 * 1000)), []);
  }
  const reportedTotal = reports.reduce((n, r) => n + (r.overflowed_records ?? 0), 0);
  assert.equal(reportedTotal, sink.health().overflowedRecords, 'every dropped record is reported');
  assert.ok(
    status.some((e) => e.stream === 'market_data' && e.status === 'reconnect'),
    'the reconnect event is not lost',
  );
  timers.advance(10_000);
  assert.deepEqual(overflowing, [true, false]);
  assert.equal(reporter.detail().unreported_records, 0);
  const errorLines = lines.filter((l) => /"level":50/.test(l));
  assert.ok(errorLines.length <= 6, `${errorLines.length} error lines for ${dropped} drops`);
  reporter.stop();
});

test('Kafka down: drops are counted, nothing is published, one report with the whole count once Kafka is back', () => {
  const published: StatusEvent[] = [];
  let h = {
    ok: false,
    errorClass: 'kafka_produce' as 'kafka_produce' | null,
    reason: 'kafka_produce' as string | null,
    consecutiveFailures: 5,
    bufferedBytes: 100,
    bufferedRecords: 10,
    overflowedRecords: 0,
  };
  const timers = new ManualTimers();
  const reporter = createOverflowReporter({
    feed: 'iex',
    logger: pino({ level: 'silent' }),
    health: () => h,
    publish: (e) => published.push(e) > 0,
    clock: clockOf(timers),
  });
  for (const n of [0, 7, 9]) {
    h = { ...h, overflowedRecords: n };
    reporter.onHealth(h);
    timers.advance(6_000);
  }
  assert.equal(published.length, 0, 'nothing published while Kafka is down');
  h = { ...h, ok: true, errorClass: null, reason: null };
  reporter.onHealth(h);
  reporter.onHealth(h);
  timers.advance(60_000);
  assert.equal(published.length, 1);
  assert.deepEqual(published[0], {
    stream: 'kafka',
    status: 'degraded',
    reason: 'kafka_buffer_overflow',
    error_class: null,
    attempt: 0,
    overflowed_records: 9,
    ts: new Date(T0 + 18_000).toISOString(),
    feed: 'iex',
  });
  assert.equal(statusEnvelope(published[0] as StatusEvent, 1, T0 * 1000).symbol, 'kafka');
  reporter.stop();
});
