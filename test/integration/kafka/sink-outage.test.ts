/**
 * The Kafka sink across a broker outage, on a private broker this test stops and restarts:
 * health degrades after 3 consecutive failures, records wait in the buffer, and after the broker
 * returns every record arrives exactly once, in per-key order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createKafkaSink, type ProducedRecord } from '../../../forwarder/kafka/sink.ts';
import { createTopics, type KafkaBroker, readTopic, startPrivateKafka } from '../../infra/kafka/index.ts';
import { capturedLogger, sinkConfig, valuesByKey, waitForHealth } from './sink-support.ts';

let broker: KafkaBroker;
before(async () => {
  broker = await startPrivateKafka();
});
after(async () => {
  await broker?.stop();
});

const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY'];
const rec = (topic: string, i: number): ProducedRecord => {
  const symbol = SYMBOLS[i % SYMBOLS.length] as string;
  return { topic, key: symbol, value: JSON.stringify({ symbol, seq: i }) };
};

test('broker stopped mid-stream: health degrades after 3 failures, all records delivered once and in order after it returns', async () => {
  const topic = 'outage.trades';
  await createTopics(broker.info, [{ topic, numPartitions: 3 }]);
  const { logger, lines } = capturedLogger();
  const failures: string[] = [];
  const sink = createKafkaSink(sinkConfig(broker.info, 'SASL_SSL', [topic], { lingerMs: 10 }), {
    logger,
    metrics: { sendFailed: (c) => failures.push(c) },
  });
  await sink.start();
  assert.equal(sink.health().ok, true);

  const sent: ProducedRecord[] = [];
  for (let i = 0; i < 100; i++) sent.push(rec(topic, i));
  for (const r of sent.slice(0, 100)) sink.send(r);
  await sink.flush(60_000);
  assert.equal(sink.health().bufferedRecords, 0);

  await broker.stopBroker();
  for (let i = 100; i < 300; i++) {
    const r = rec(topic, i);
    sent.push(r);
    sink.send(r);
  }
  const degraded = await waitForHealth(sink, (h) => !h.ok);
  assert.equal(degraded.consecutiveFailures, 3);
  assert.equal(degraded.errorClass, 'kafka_metadata');
  assert.equal(degraded.reason, 'kafka_broker_unreachable');
  assert.equal(degraded.bufferedRecords, 200, 'every record sent during the outage waits in the buffer');
  assert.equal(degraded.overflowedRecords, 0);
  assert.ok(failures.length >= 3);

  await broker.startBroker();
  const healthy = await waitForHealth(sink, (h) => h.ok);
  assert.equal(healthy.consecutiveFailures, 0);
  await sink.flush(120_000);
  assert.equal(sink.health().bufferedRecords, 0);
  await sink.close();

  const got = await readTopic(broker.info, topic);
  assert.equal(got.length, 300, 'no record lost, none duplicated');
  assert.deepEqual(valuesByKey(got), valuesByKey(sent.map((r) => ({ key: r.key, value: r.value }))));
  assert.ok(!lines.join('').includes(broker.info.user.password));
});

test('broker stopped while batches are in flight: after it returns, exactly the sent records, once each, in per-key order', async () => {
  const topic = 'outage.inflight';
  await createTopics(broker.info, [{ topic, numPartitions: 3 }]);
  const { logger } = capturedLogger();
  let firstAck: () => void = () => {};
  const firstAcked = new Promise<void>((resolve) => {
    firstAck = resolve;
  });
  const sink = createKafkaSink(
    sinkConfig(broker.info, 'PLAINTEXT', [topic], { lingerMs: 0, batchBytes: 2048 }),
    {
      logger,
      metrics: { forwarded: () => firstAck() },
    },
  );
  await sink.start();
  const sent: ProducedRecord[] = [];
  for (let i = 0; i < 3000; i++) sent.push(rec(topic, i));
  for (const r of sent) sink.send(r);
  // Many small batches go out one after another; stop the broker once the first is acked, while
  // the rest are still buffered or in flight.
  await firstAcked;
  assert.ok(sink.health().bufferedRecords > 0, 'records still buffered when the broker stops');
  await broker.stopBroker();
  // Records sent while the broker is down make the outage visible even if the first 3000 all
  // went out before the broker closed its sockets.
  for (let i = 3000; i < 3500; i++) {
    const r = rec(topic, i);
    sent.push(r);
    sink.send(r);
  }
  const degraded = await waitForHealth(sink, (h) => !h.ok);
  assert.ok(
    degraded.errorClass === 'kafka_metadata' || degraded.errorClass === 'kafka_produce',
    String(degraded.errorClass),
  );
  assert.ok(degraded.bufferedRecords >= 500);
  await broker.startBroker();
  await waitForHealth(sink, (h) => h.ok);
  await sink.close(120_000);
  assert.equal(sink.health().bufferedRecords, 0);
  const got = await readTopic(broker.info, topic);
  assert.equal(got.length, 3500, 'no record lost, none duplicated');
  assert.deepEqual(valuesByKey(got), valuesByKey(sent.map((r) => ({ key: r.key, value: r.value }))));
});
