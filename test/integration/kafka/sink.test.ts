/**
 * The forwarder's Kafka sink (@platformatic/kafka adapter + batching engine) against the shared real broker:
 * per-key order with key = symbol, LZ4 on the wire, SASL/TLS, auth and metadata failures in
 * health, buffer overflow, close() flushing, no password in the logs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
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
const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY', 'QQQ', 'AMZN'];

function records(topic: string, n: number, offset = 0): ProducedRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const symbol = SYMBOLS[(i + offset) % SYMBOLS.length] as string;
    return {
      topic,
      key: symbol,
      value: JSON.stringify({ symbol, seq: i + offset, pad: 'x'.repeat(80) }),
      headers: { 'schema-version': '1' },
    };
  });
}

function expectedByKey(sent: ProducedRecord[]): Map<string, string[]> {
  return valuesByKey(sent.map((r) => ({ key: r.key, value: r.value })));
}

describe('Kafka sink on the real broker', () => {
  test('records arrive once each, in per-key order, key = symbol, LZ4, over SASL_SSL SCRAM-SHA-512', async () => {
    const trades = uniqueTopic('sink.trades');
    const quotes = uniqueTopic('sink.quotes');
    await createTopics(kafka, [
      { topic: trades, numPartitions: 3 },
      { topic: quotes, numPartitions: 3 },
    ]);
    const { logger, lines } = capturedLogger();
    const forwarded = new Map<string, number>();
    const batchSizes: number[] = [];
    const sink = createKafkaSink(sinkConfig(kafka, 'SASL_SSL', [trades, quotes], { batchBytes: 4096 }), {
      logger,
      metrics: {
        forwarded: (t, n) => forwarded.set(t, (forwarded.get(t) ?? 0) + n),
        batchRecords: (n) => batchSizes.push(n),
      },
    });
    await sink.start();
    assert.equal(sink.health().ok, true);
    const sentTrades = records(trades, 400);
    const sentQuotes = records(quotes, 250, 3);
    for (let i = 0; i < 400; i++) {
      sink.send(sentTrades[i] as ProducedRecord);
      if (i < 250) sink.send(sentQuotes[i] as ProducedRecord);
    }
    await sink.flush(60_000);
    assert.deepEqual(sink.health(), {
      ok: true,
      errorClass: null,
      reason: null,
      consecutiveFailures: 0,
      bufferedBytes: 0,
      bufferedRecords: 0,
      overflowedRecords: 0,
    });
    await sink.close();

    const gotTrades = await readTopic(kafka, trades);
    const gotQuotes = await readTopic(kafka, quotes);
    assert.equal(gotTrades.length, 400);
    assert.equal(gotQuotes.length, 250);
    assert.deepEqual(valuesByKey(gotTrades), expectedByKey(sentTrades));
    assert.deepEqual(valuesByKey(gotQuotes), expectedByKey(sentQuotes));
    for (const r of gotTrades) {
      assert.equal(r.key, JSON.parse(r.value ?? '{}').symbol);
      assert.deepEqual(r.headers, { 'schema-version': '1' });
    }
    // A key always lands on one partition.
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const r of gotTrades)
      partitionsOfKey.set(r.key ?? '', (partitionsOfKey.get(r.key ?? '') ?? new Set()).add(r.partition));
    for (const [k, ps] of partitionsOfKey) assert.equal(ps.size, 1, `key ${k} on one partition`);

    for (const p of [0, 1, 2]) {
      const headers = await readBatchHeaders(kafka, trades, p);
      for (const h of headers) assert.equal(h.codec, 'lz4', `partition ${p} batch at ${h.baseOffset} is LZ4`);
    }
    assert.deepEqual(Object.fromEntries(forwarded), { [trades]: 400, [quotes]: 250 });
    assert.ok(batchSizes.length > 1, 'batchBytes=4096 split the 650 records into several batches');
    assert.equal(
      batchSizes.reduce((a, b) => a + b, 0),
      650,
    );
    assert.ok(!lines.join('').includes(kafka.user.password), 'the SASL password never appears in the logs');
  });

  for (const [listener, mechanism] of [
    ['PLAINTEXT', undefined],
    ['SASL_PLAINTEXT', 'SCRAM-SHA-256'],
    ['SASL_SSL', 'PLAIN'],
  ] as const) {
    test(`delivers over ${listener}${mechanism ? ` with ${mechanism}` : ''}`, async () => {
      const topic = uniqueTopic('sink.listener');
      await createTopics(kafka, [topic]);
      const cfg = sinkConfig(kafka, listener, [topic]);
      if (mechanism && cfg.sasl) cfg.sasl = { ...cfg.sasl, mechanism };
      const sink = createKafkaSink(cfg, { logger: capturedLogger().logger });
      await sink.start();
      const sent = records(topic, 30);
      for (const r of sent) sink.send(r);
      await sink.close();
      const got = await readTopic(kafka, topic);
      assert.deepEqual(valuesByKey(got), expectedByKey(sent));
    });
  }

  test('a wrong password: start resolves, health is kafka_auth / kafka_sasl_authentication_failed, no secret logged', async () => {
    const topic = uniqueTopic('sink.auth');
    await createTopics(kafka, [topic]);
    const { logger, lines } = capturedLogger();
    const wrong = 'wrong-password-1234';
    const sink = createKafkaSink(
      sinkConfig(kafka, 'SASL_SSL', [topic], {
        sasl: { mechanism: 'SCRAM-SHA-512', username: kafka.user.username, password: wrong },
      }),
      { logger },
    );
    await sink.start();
    const h = sink.health();
    assert.equal(h.ok, false);
    assert.equal(h.errorClass, 'kafka_auth');
    assert.equal(h.reason, 'kafka_sasl_authentication_failed');
    assert.equal(h.consecutiveFailures, 1);
    sink.send({ topic, key: 'AAPL', value: '{}' });
    assert.equal(sink.health().bufferedRecords, 1, 'send buffers, never throws');
    await sink.close(100);
    const text = lines.join('');
    assert.ok(!text.includes(wrong), 'the wrong password is not logged');
    assert.match(text, /kafka_sasl_authentication_failed/);
  });

  test('a missing topic: health is kafka_metadata / kafka_topic_missing', async () => {
    const present = uniqueTopic('sink.present');
    const missing = [uniqueTopic('sink.missing1'), uniqueTopic('sink.missing2')].sort();
    await createTopics(kafka, [present]);
    const sink = createKafkaSink(
      sinkConfig(kafka, 'PLAINTEXT', [missing[1] as string, present, missing[0] as string]),
      {
        logger: capturedLogger().logger,
      },
    );
    await sink.start();
    const h = sink.health();
    assert.equal(h.ok, false);
    assert.equal(h.errorClass, 'kafka_metadata');
    assert.equal(h.reason, 'kafka_topic_missing');
    assert.deepEqual(h.missingTopics, missing, 'every missing topic is named, not only the first');
    await sink.close(100);
  });

  test('buffer overflow is counted, reported in health and to listeners; accepted records still arrive', async () => {
    const topic = uniqueTopic('sink.overflow');
    await createTopics(kafka, [topic]);
    const overflowedMetric: number[] = [];
    const sink = createKafkaSink(
      sinkConfig(kafka, 'PLAINTEXT', [topic], { batchBytes: 500, maxBufferBytes: 1000 }),
      {
        logger: capturedLogger().logger,
        metrics: { overflowed: (_t, n) => overflowedMetric.push(n) },
      },
    );
    const seen: number[] = [];
    sink.onHealthChange((h) => seen.push(h.overflowedRecords));
    // Not started yet: nothing drains, so the buffer fills deterministically. Each record is
    // 4 (key) + 100 (value) + 16 (overhead) = 120 bytes, so 8 fit in 1000 bytes.
    const sent = Array.from({ length: 12 }, (_, i) => ({
      topic,
      key: 'AAPL',
      value: String(i).padStart(100, '0'),
    }));
    for (const r of sent) sink.send(r);
    assert.equal(sink.health().bufferedRecords, 8);
    assert.equal(sink.health().bufferedBytes, 960);
    assert.equal(sink.health().overflowedRecords, 4);
    assert.deepEqual(overflowedMetric, [1, 1, 1, 1]);
    assert.deepEqual(seen, [1], 'listeners hear about the start of an overflow episode');
    await sink.start();
    await sink.close();
    const got = await readTopic(kafka, topic);
    assert.deepEqual(
      got.map((r) => r.value),
      sent.slice(0, 8).map((r) => r.value),
    );
  });

  test('a topic with a small max.message.bytes: refused requests are split, every record arrives once in per-key order, a record too large alone is dropped loudly', async () => {
    const topic = uniqueTopic('sink.split');
    const MAX_MESSAGE_BYTES = 4096;
    await createTopics(kafka, [
      {
        topic,
        numPartitions: 3,
        configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
      },
    ]);
    const { logger, lines } = capturedLogger();
    const batchSizes: number[] = [];
    const overflowed: number[] = [];
    // batchBytes 16 KiB: a backlog request carries up to 64 KiB, far above 4 KiB per partition
    // batch; random (incompressible under lz4) values keep the batches large on the wire.
    const sink = createKafkaSink(sinkConfig(kafka, 'PLAINTEXT', [topic], { batchBytes: 16_384 }), {
      logger,
      metrics: { batchRecords: (n) => batchSizes.push(n), overflowed: (_t, n) => overflowed.push(n) },
    });
    const sent: ProducedRecord[] = Array.from({ length: 600 }, (_, i) => {
      const symbol = SYMBOLS[i % SYMBOLS.length] as string;
      return {
        topic,
        key: symbol,
        value: JSON.stringify({ seq: i, pad: randomBytes(150).toString('base64') }),
      };
    });
    const huge: ProducedRecord = {
      topic,
      key: 'HUGE',
      value: JSON.stringify({ pad: randomBytes(MAX_MESSAGE_BYTES).toString('base64') }),
    };
    sent.splice(300, 0, huge);
    // Buffered before start, so the first requests carry the whole backlog.
    for (const r of sent) assert.equal(sink.send(r), true);
    await sink.start();
    await sink.flush(120_000);
    const h = sink.health();
    assert.equal(h.bufferedRecords, 0);
    assert.equal(h.overflowedRecords, 1, 'only the record too large on its own');
    assert.deepEqual(overflowed, [1]);
    await sink.close();
    const got = await readTopic(kafka, topic);
    const expected = sent.filter((r) => r !== huge);
    assert.equal(got.length, expected.length, 'every other record exactly once');
    assert.deepEqual(valuesByKey(got), expectedByKey(expected), 'in per-key order');
    assert.ok(
      batchSizes.every((n) => n < 600),
      'the first requests were refused and split (no request of the whole backlog was acked)',
    );
    const logs = lines.map((l) => JSON.parse(l) as { msg: string; record_key?: string });
    assert.ok(logs.some((l) => l.msg.includes('split in halves')));
    const drop = logs.filter((l) => l.msg.includes('dropped and counted'));
    assert.deepEqual(
      drop.map((l) => l.record_key),
      ['HUGE'],
    );
  });

  test('close() flushes what lingers', async () => {
    const topic = uniqueTopic('sink.close');
    await createTopics(kafka, [topic]);
    const sink = createKafkaSink(sinkConfig(kafka, 'PLAINTEXT', [topic], { lingerMs: 600_000 }), {
      logger: capturedLogger().logger,
    });
    await sink.start();
    const sent = records(topic, 25);
    for (const r of sent) sink.send(r);
    assert.equal(sink.health().bufferedRecords, 25, 'a 10-minute linger holds them');
    await sink.close();
    assert.equal(sink.health().bufferedRecords, 0);
    assert.equal(sink.health().reason, 'kafka_sink_closed');
    const got = await readTopic(kafka, topic);
    assert.deepEqual(valuesByKey(got), expectedByKey(sent));
  });
});
