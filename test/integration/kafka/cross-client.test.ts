/**
 * The sink's records read by a different client: the sink produces with @platformatic/kafka,
 * kafkajs reads (test/infra readTopic). Keys land on the partitions the Java client's formula
 * (and kafkajs's DefaultPartitioner, the forwarder's client before) picks, so other producers of
 * the same topics agree; headers, values and per-key order survive; the broker's segment files
 * show the codec the config asks for and an idempotent producer id.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { createKafkaSink, type ProducedRecord } from '../../../forwarder/kafka/sink.ts';
import {
  createTopics,
  kafkaFromEnv,
  readBatchHeaders,
  readTopic,
  uniqueTopic,
} from '../../infra/kafka/index.ts';
import { capturedLogger, sinkConfig, valuesByKey } from './sink-support.ts';

const kafka = kafkaFromEnv();
const PARTITIONS = 5;
// Symbols, a long one, multi-byte UTF-8, and enough of them that every partition gets some.
const KEYS = [
  ...['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY', 'QQQ', 'AMZN', 'BRK.B', 'GOOGL', 'META', 'AMD', 'IWM'],
  'X'.repeat(1000),
  'ÄÖÜ-é',
];

function records(topic: string, n: number): ProducedRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const key = KEYS[i % KEYS.length] as string;
    return {
      topic,
      key,
      value: JSON.stringify({ seq: i, key: key.slice(0, 10) }),
      headers: { 'schema-version': '1', 'x-seq': String(i) },
    };
  });
}

async function produce(topic: string, sent: ProducedRecord[], compression: 'lz4' | 'none'): Promise<void> {
  const sink = createKafkaSink(sinkConfig(kafka, 'SASL_SSL', [topic], { compression, batchBytes: 4096 }), {
    logger: capturedLogger().logger,
  });
  await sink.start();
  assert.equal(sink.health().ok, true);
  for (const r of sent) assert.equal(sink.send(r), true);
  await sink.close();
  assert.equal(sink.health().bufferedRecords, 0);
}

describe('the sink (@platformatic/kafka) read back by kafkajs', () => {
  test('partitions as the Java client, headers and per-key order intact, LZ4 and a producer id on disk', async () => {
    const topic = uniqueTopic('cross.lz4');
    await createTopics(kafka, [{ topic, numPartitions: PARTITIONS }]);
    const sent = records(topic, 700);
    await produce(topic, sent, 'lz4');

    const got = await readTopic(kafka, topic);
    assert.equal(got.length, sent.length, 'every record once');
    assert.deepEqual(valuesByKey(got), valuesByKey(sent));
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    const javaCompatible = kafkajs.Partitioners.DefaultPartitioner();
    const used = new Set<number>();
    for (const r of got) {
      const key = r.key ?? '';
      const want = javaCompatible({ topic, partitionMetadata, message: { key, value: r.value } });
      assert.equal(
        r.partition,
        want,
        `key ${key.slice(0, 12)} on partition ${r.partition}, kafkajs says ${want}`,
      );
      used.add(r.partition);
      const seq = (JSON.parse(r.value ?? '{}') as { seq: number }).seq;
      assert.deepEqual(r.headers, { 'schema-version': '1', 'x-seq': String(seq) });
    }
    assert.equal(used.size, PARTITIONS, 'the keys spread over every partition');

    for (const partition of used) {
      const batches = await readBatchHeaders(kafka, topic, partition);
      assert.ok(batches.length > 0);
      for (const b of batches) {
        assert.equal(b.codec, 'lz4', `partition ${partition} batch at ${b.baseOffset}`);
        assert.ok(b.producerId >= 0n, 'idempotent producer id on every batch');
      }
      assert.equal(batches[0]?.baseSequence, 0, 'sequence numbers start at 0');
    }
  });

  test('compression none (KAFKA_COMPRESSION=none) is what the broker stores', async () => {
    const topic = uniqueTopic('cross.none');
    await createTopics(kafka, [{ topic, numPartitions: 1 }]);
    const sent = records(topic, 50);
    await produce(topic, sent, 'none');
    const got = await readTopic(kafka, topic);
    assert.deepEqual(
      got.map((r) => r.value),
      sent.map((r) => r.value),
    );
    const batches = await readBatchHeaders(kafka, topic);
    assert.ok(batches.length > 0);
    assert.deepEqual([...new Set(batches.map((b) => b.codec))], ['none']);
    assert.ok(batches.every((b) => b.producerId >= 0n));
  });
});
