/** The sink engine (linger, batchBytes, one batch in flight, retries, health, flush/close) with a fake client and manual timers. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import {
  BACKLOG_REQUEST_FACTOR,
  type BatchingOptions,
  BUFFER_GAUGE_STEP,
  createBatchingSink,
} from '../../../../forwarder/kafka/batching-sink.ts';
import type { SinkHealth } from '../../../../forwarder/kafka/sink.ts';
import { createLogger } from '../../../../forwarder/log/logger.ts';
import {
  FakeClient,
  kafkaError,
  ManualTimers,
  settle,
  silentLogger,
  values,
} from '../../../support/kafka-fakes.ts';

function setup(over: Partial<BatchingOptions> = {}) {
  const client = new FakeClient();
  const timers = new ManualTimers();
  const { logger, lines } = silentLogger();
  const metrics = {
    latency: [] as number[],
    batches: [] as number[],
    failed: [] as string[],
    forwarded: [] as [string, number][],
  };
  const sink = createBatchingSink(
    client,
    {
      topics: ['t'],
      lingerMs: 30,
      batchBytes: 1000,
      maxBufferBytes: 10_000,
      retryInitialMs: 100,
      retryMaxMs: 1000,
      ...over,
    },
    {
      logger,
      timers,
      metrics: {
        sendLatencySeconds: (s) => metrics.latency.push(s),
        batchRecords: (n) => metrics.batches.push(n),
        sendFailed: (c) => metrics.failed.push(c),
        forwarded: (t, n) => metrics.forwarded.push([t, n]),
      },
    },
  );
  return { client, timers, sink, lines, metrics };
}

const rec = (key: string, i: number, topic = 't') => ({ topic, key, value: `v${i}` });
const connRefused = () => kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' });

test('start checks every topic and reports ok; before that health says not connected', async () => {
  const { client, sink } = setup({ topics: ['a', 'b'] });
  assert.deepEqual(sink.health(), {
    ok: false,
    errorClass: null,
    reason: 'kafka_not_connected',
    consecutiveFailures: 0,
    bufferedBytes: 0,
    bufferedRecords: 0,
    overflowedRecords: 0,
  });
  await sink.start();
  assert.deepEqual(client.checked, [['a', 'b']]);
  assert.equal(sink.health().ok, true);
});

test('records wait lingerMs, then go out as one batch in order', async () => {
  const { client, timers, sink, metrics } = setup();
  await sink.start();
  sink.send(rec('AAPL', 1));
  timers.advance(10);
  sink.send(rec('MSFT', 2));
  sink.send(rec('AAPL', 3));
  await settle();
  assert.equal(client.sends.length, 0, 'nothing before the linger of the oldest record elapsed');
  timers.advance(19);
  await settle();
  assert.equal(client.sends.length, 0);
  timers.advance(1);
  await settle();
  const s = client.next();
  assert.deepEqual(values(s.batch), ['t/AAPL/v1', 't/MSFT/v2', 't/AAPL/v3']);
  timers.advance(7);
  s.resolve();
  await settle();
  assert.deepEqual(metrics.batches, [3]);
  assert.deepEqual(metrics.latency, [0.007]);
  assert.deepEqual(metrics.forwarded, [['t', 3]]);
  assert.equal(sink.health().bufferedRecords, 0);
});

test('batchBytes reached sends at once without waiting for the linger', async () => {
  // each record: key 4 + value 2 + 16 = 22 bytes; the third one brings the buffer past batchBytes 50
  const { client, sink } = setup({ batchBytes: 50 });
  await sink.start();
  for (let i = 1; i <= 2; i++) sink.send(rec('AAPL', i));
  await settle();
  assert.equal(client.sends.length, 0, 'below batchBytes the records linger');
  sink.send(rec('AAPL', 3));
  await settle();
  assert.equal(client.sends.length, 1);
  assert.deepEqual(values(client.next().batch), ['t/AAPL/v1', 't/AAPL/v2', 't/AAPL/v3']);
});

test('a backlog goes out in one request of up to BACKLOG_REQUEST_FACTOR × batchBytes, oldest first, one request in flight', async () => {
  // 23 bytes per record (key 4, value 3, 16); batchBytes 50, so a request carries at most 200
  // bytes: 8 records
  assert.equal(BACKLOG_REQUEST_FACTOR, 4);
  const padded = (i: number) => ({ topic: 't', key: 'AAPL', value: `v${String(i).padStart(2, '0')}` });
  const { client, timers, sink, metrics } = setup({ batchBytes: 50 });
  await sink.start();
  for (let i = 1; i <= 3; i++) sink.send(padded(i));
  await settle();
  const first = client.next();
  for (let i = 4; i <= 20; i++) sink.send(padded(i));
  await settle();
  assert.equal(client.sends.length, 0, 'the backlog waits for the request in flight');
  const taken = [first];
  for (;;) {
    (taken.at(-1) as (typeof taken)[number]).resolve();
    await settle();
    if (client.sends.length === 0) {
      timers.advance(30); // the last record, alone below batchBytes, lingers
      await settle();
    }
    if (client.sends.length === 0) break;
    assert.equal(client.sends.length, 1, 'one request in flight');
    taken.push(client.next());
  }
  assert.deepEqual(metrics.batches, [3, 8, 8, 1]);
  assert.deepEqual(
    taken.flatMap((d) => values(d.batch)),
    Array.from({ length: 20 }, (_, i) => `t/${padded(i + 1).key}/${padded(i + 1).value}`),
  );
});

test('maxRequestBytes sets the request cap; below batchBytes it is refused', async () => {
  const { client, sink, metrics } = setup({ batchBytes: 50, maxRequestBytes: 100 });
  await sink.start();
  for (let i = 1; i <= 3; i++) sink.send(rec('AAPL', i));
  await settle();
  const first = client.next();
  for (let i = 4; i <= 10; i++) sink.send(rec('AAPL', i));
  first.resolve();
  await settle();
  client.next().resolve();
  await settle();
  assert.deepEqual(metrics.batches, [3, 4]);
  assert.throws(
    () => setup({ batchBytes: 50, maxRequestBytes: 49 }),
    /maxRequestBytes \(49\) must be at least batchBytes \(50\)/,
  );
});

test('one batch in flight: newer records wait and form the next batch', async () => {
  const { client, timers, sink } = setup();
  await sink.start();
  sink.send(rec('A', 1));
  timers.advance(30);
  await settle();
  const first = client.next();
  sink.send(rec('A', 2));
  sink.send(rec('B', 3));
  timers.advance(100);
  await settle();
  assert.equal(client.sends.length, 0, 'no second send while the first is in flight');
  first.resolve();
  await settle();
  assert.deepEqual(values(client.next().batch), ['t/A/v2', 't/B/v3']);
});

test('a failed batch is retried unchanged, after backoff, before newer records; 3 failures make health not ok, a success makes it ok', async () => {
  const { client, timers, sink, metrics } = setup();
  const changes: SinkHealth[] = [];
  sink.onHealthChange((h) => changes.push(h));
  await sink.start();
  sink.send(rec('A', 1));
  sink.send(rec('A', 2));
  timers.advance(30);
  await settle();
  const batch1 = client.next();
  sink.send(rec('A', 3));
  batch1.reject(kafkaError('KafkaJSRequestTimeoutError'));
  await settle();
  assert.equal(sink.health().ok, true, 'one failure is not yet unhealthy');
  assert.equal(sink.health().consecutiveFailures, 1);
  assert.equal(client.sends.length, 0, 'backoff before the retry');
  timers.advance(100);
  await settle();
  // a produce timeout asks for reconnect + metadata check first, then the same batch
  const retry1 = client.next();
  assert.deepEqual(values(retry1.batch), ['t/A/v1', 't/A/v2']);
  assert.equal(retry1.batch, batch1.batch, 'the very same batch object is retried');
  retry1.reject(connRefused());
  await settle();
  timers.advance(200);
  await settle();
  assert.equal(client.checked.length, 3, 'metadata re-checked after each connection-class failure');
  const retry2 = client.next();
  assert.equal(retry2.batch, batch1.batch);
  retry2.reject(connRefused());
  await settle();
  const h = sink.health();
  assert.equal(h.ok, false);
  assert.equal(h.errorClass, 'kafka_metadata');
  assert.equal(h.reason, 'kafka_broker_unreachable');
  assert.equal(h.consecutiveFailures, 3);
  assert.equal(h.bufferedRecords, 3);
  assert.deepEqual(metrics.failed, ['kafka_produce', 'kafka_metadata', 'kafka_metadata']);
  timers.advance(400);
  await settle();
  const retry3 = client.next();
  assert.equal(retry3.batch, batch1.batch);
  retry3.resolve();
  await settle();
  assert.equal(sink.health().ok, true);
  assert.equal(sink.health().consecutiveFailures, 0);
  timers.advance(30);
  await settle();
  assert.deepEqual(values(client.next().batch), ['t/A/v3'], 'the newer record only after the failed batch');
  assert.deepEqual(
    changes.map((c) => [c.ok, c.errorClass, c.reason]),
    [
      [true, null, null],
      [false, 'kafka_metadata', 'kafka_broker_unreachable'],
      [true, null, null],
    ],
  );
});

test('backoff doubles up to the max', async () => {
  const { client, timers, sink } = setup({ retryInitialMs: 100, retryMaxMs: 300 });
  await sink.start();
  sink.send(rec('A', 1));
  timers.advance(30);
  await settle();
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    client.next().reject(kafkaError('KafkaJSProtocolError', { type: 'NOT_ENOUGH_REPLICAS' }));
    await settle();
    let waited = 0;
    while (client.sends.length === 0) {
      timers.advance(50);
      waited += 50;
      await settle();
    }
    waits.push(waited);
  }
  assert.deepEqual(waits, [100, 200, 300, 300]);
});

test('connect failures at start: start resolves, health names the class, retries continue', async () => {
  const { client, timers, sink } = setup();
  client.checkTopicsError = kafkaError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  await sink.start();
  assert.deepEqual(
    [sink.health().ok, sink.health().errorClass, sink.health().reason],
    [false, 'kafka_metadata', 'kafka_topic_missing'],
  );
  client.checkTopicsError = null;
  timers.advance(100);
  await settle();
  assert.equal(sink.health().ok, true);
  assert.equal(client.checked.length, 2);
});

test('overflow: records beyond maxBufferBytes are dropped, counted, reported once per episode', async () => {
  const { sink, lines } = setup({ maxBufferBytes: 50, batchBytes: 50 });
  const changes: number[] = [];
  sink.onHealthChange((h) => changes.push(h.overflowedRecords));
  // not started: nothing drains; 22 bytes each, 2 fit
  const accepted = [1, 2, 3, 4, 5].map((i) => sink.send(rec('AAPL', i)));
  assert.deepEqual(accepted, [true, true, false, false, false], 'send says which records it refused');
  assert.equal(sink.health().bufferedRecords, 2);
  assert.equal(sink.health().overflowedRecords, 3);
  assert.deepEqual(changes, [1]);
  assert.equal(lines.filter((l) => l.includes('dropped a record')).length, 1, 'one error log per episode');
});

const tooLarge = () => kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE' });

test('a request the broker refuses as too large is split in halves, sent in order, without backoff or a health failure', async () => {
  // 19 bytes per record (key 1, value 2, 16); 8 records = 152 bytes, one request
  const { client, timers, sink, metrics } = setup({ batchBytes: 1000 });
  await sink.start();
  for (let i = 1; i <= 8; i++) sink.send(rec('A', i));
  timers.advance(30);
  await settle();
  const taken: string[][] = [];
  const delivered: string[] = [];
  // The broker refuses any request above 40 bytes (more than 2 records); nothing is ever advanced.
  while (client.sends.length > 0) {
    const s = client.next();
    const v = values(s.batch);
    taken.push(v);
    if (v.length > 2) s.reject(tooLarge());
    else {
      delivered.push(...v);
      s.resolve();
    }
    await settle();
  }
  const all = Array.from({ length: 8 }, (_, i) => `t/A/v${i + 1}`);
  assert.deepEqual(delivered, all, 'every record once, in order');
  assert.deepEqual(
    taken.map((t) => t.length),
    [8, 4, 2, 2, 4, 2, 2],
    'halved depth first: the head half goes out before the tail half',
  );
  assert.equal(timers.pendingCount, 0, 'no retry timer: the halves go out at once');
  assert.deepEqual(sink.health().ok, true);
  assert.equal(sink.health().consecutiveFailures, 0);
  assert.equal(sink.health().overflowedRecords, 0);
  assert.equal(sink.health().bufferedRecords, 0);
  assert.deepEqual(metrics.failed, ['kafka_produce', 'kafka_produce', 'kafka_produce']);
  assert.deepEqual(metrics.batches, [2, 2, 2, 2]);
});

test('a split keeps the newer records behind it and cuts by bytes, not by count', async () => {
  const { client, timers, sink } = setup({ batchBytes: 1000 });
  await sink.start();
  sink.send({ topic: 't', key: 'A', value: 'x'.repeat(100) }); // 117 bytes
  sink.send(rec('A', 2)); // 19
  sink.send(rec('A', 3)); // 19
  timers.advance(30);
  await settle();
  client.next().reject(tooLarge());
  sink.send(rec('A', 4));
  await settle();
  const head = client.next();
  assert.equal(values(head.batch).length, 1, 'the big record alone is about half the bytes');
  head.resolve();
  await settle();
  const tail = client.next();
  assert.deepEqual(values(tail.batch), ['t/A/v2', 't/A/v3'], 'the tail half before the newer record');
  tail.resolve();
  await settle();
  timers.advance(30);
  await settle();
  assert.deepEqual(values(client.next().batch), ['t/A/v4']);
});

test('a single record still refused is dropped loudly and counted; the records around it are delivered in order', async () => {
  const { client, timers, sink, lines } = setup({ batchBytes: 1000 });
  await sink.start();
  for (let i = 1; i <= 5; i++) sink.send(rec('A', i));
  let flushed = false;
  const f = sink.flush(60_000).then(() => {
    flushed = true;
  });
  const delivered: string[] = [];
  // v3 is too large on its own; any request holding it is refused.
  for (let guard = 0; guard < 50 && !flushed; guard++) {
    await settle();
    const s = client.sends.shift();
    if (!s) {
      timers.advance(100);
      continue;
    }
    const v = values(s.batch);
    if (v.includes('t/A/v3')) s.reject(tooLarge());
    else {
      delivered.push(...v);
      s.resolve();
    }
  }
  await f;
  assert.deepEqual(delivered, ['t/A/v1', 't/A/v2', 't/A/v4', 't/A/v5']);
  assert.equal(sink.health().overflowedRecords, 1);
  assert.equal(sink.health().bufferedRecords, 0);
  const drop = lines.map((l) => JSON.parse(l)).find((l) => /dropped and counted/.test(l.msg));
  assert.ok(drop, 'the dropped record is logged');
  assert.equal(drop.record_key, 'A');
  assert.equal(drop.level, 50, 'at error level');
});

test('a split leaves out the records whose partitions the broker acked beside the refusal, counting them as forwarded', async () => {
  const { client, timers, sink, metrics } = setup({ batchBytes: 1000, topics: ['t', 'u'] });
  await sink.start();
  sink.send(rec('A', 1));
  sink.send(rec('B', 2, 'u'));
  sink.send(rec('A', 3));
  sink.send(rec('B', 4, 'u'));
  sink.send(rec('C', 5));
  timers.advance(30);
  await settle();
  const first = client.next();
  // The broker wrote topic u's records (their partition answered without error), refused the rest.
  const u = first.batch.topicMessages.find((t) => t.topic === 'u');
  client.acked.set(first.batch, new Set(u?.messages));
  first.reject(tooLarge());
  await settle();
  const head = client.next();
  head.resolve();
  await settle();
  const tail = client.next();
  tail.resolve();
  await settle();
  assert.deepEqual(
    [...values(head.batch), ...values(tail.batch)],
    ['t/A/v1', 't/A/v3', 't/C/v5'],
    'only the records no partition acked, in order',
  );
  assert.equal(client.sends.length, 0);
  assert.equal(sink.health().bufferedRecords, 0);
  assert.deepEqual(metrics.forwarded, [
    ['u', 2],
    ['t', 1],
    ['t', 2],
  ]);
});

test('flush sends at once, ignoring the linger, and resolves when everything so far is acked', async () => {
  const { client, sink } = setup({ lingerMs: 60_000 });
  await sink.start();
  sink.send(rec('A', 1));
  let flushed = false;
  const f = sink.flush().then(() => {
    flushed = true;
  });
  await settle();
  const s = client.next();
  assert.equal(flushed, false);
  s.resolve();
  await f;
  assert.equal(flushed, true);
});

test('flush timeout resolves and logs what is left', async () => {
  const { timers, sink, lines, client } = setup();
  await sink.start();
  sink.send(rec('A', 1));
  const f = sink.flush(500);
  await settle();
  assert.equal(client.sends.length, 1);
  timers.advance(500);
  await f;
  assert.ok(lines.some((l) => l.includes('flush timed out') && l.includes('"unacked_records":1')));
});

test('close flushes, disconnects, reports closed; later sends are counted as overflow', async () => {
  const { client, sink } = setup({ lingerMs: 60_000 });
  await sink.start();
  sink.send(rec('A', 1));
  const closing = sink.close();
  await settle();
  client.next().resolve();
  await closing;
  assert.equal(client.disconnected, true);
  assert.deepEqual([sink.health().ok, sink.health().reason], [false, 'kafka_sink_closed']);
  assert.equal(sink.send(rec('A', 2)), false);
  assert.equal(sink.health().overflowedRecords, 1);
  assert.equal(client.sends.length, 0);
});

test('records of several topics share a batch, grouped per topic in send order', async () => {
  const { client, timers, sink } = setup({ topics: ['x', 'y'] });
  await sink.start();
  sink.send(rec('A', 1, 'x'));
  sink.send(rec('B', 2, 'y'));
  sink.send(rec('A', 3, 'x'));
  timers.advance(30);
  await settle();
  assert.deepEqual(client.next().batch, {
    topicMessages: [
      {
        topic: 'x',
        messages: [
          { key: 'A', value: 'v1' },
          { key: 'A', value: 'v3' },
        ],
      },
      { topic: 'y', messages: [{ key: 'B', value: 'v2' }] },
    ],
  });
});

test('a producer sequence error starts a new producer session before the batch is retried', async () => {
  const { client, timers, sink, lines } = setup();
  let resets = 0;
  client.resetProducer = async () => {
    resets++;
  };
  await sink.start();
  sink.send(rec('A', 1));
  timers.advance(30);
  await settle();
  const first = client.next();
  first.reject(kafkaError('KafkaJSProtocolError', { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }));
  await settle();
  timers.advance(100);
  await settle();
  assert.equal(resets, 1);
  const retry = client.next();
  assert.equal(retry.batch, first.batch);
  retry.resolve();
  await settle();
  assert.equal(sink.health().ok, true);
  assert.ok(lines.some((l) => l.includes('producer session reset')));
});

test('close stays bounded while a connect attempt hangs', async () => {
  const { client, timers, sink } = setup();
  client.autoConnect = false;
  const starting = sink.start();
  await settle();
  assert.equal(client.connects.length, 1);
  const closing = sink.close(100);
  timers.advance(100);
  await settle();
  timers.advance(2_000);
  await closing;
  assert.equal(client.disconnected, true);
  client.connects[0]?.reject(kafkaError('KafkaJSConnectionError', { code: 'ECONNREFUSED' }));
  await starting;
});

test('under the forwarder logger (which redacts any `key` field) drop logs still name the dropped record key', async () => {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  const client = new FakeClient();
  const timers = new ManualTimers();
  const sink = createBatchingSink(
    client,
    { topics: ['t'], lingerMs: 30, batchBytes: 50, maxBufferBytes: 50, retryInitialMs: 100 },
    { logger, timers },
  );
  for (let i = 1; i <= 3; i++) sink.send(rec('AAPL', i));
  await sink.start();
  timers.advance(30);
  await settle();
  client.next().reject(kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE' }));
  await settle();
  timers.advance(100);
  await settle();
  client.next().reject(kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE' }));
  await settle();
  const drops = lines.map((l) => JSON.parse(l)).filter((l) => /dropped|rejected a record/.test(l.msg));
  assert.equal(drops.length, 2, lines.join(''));
  for (const d of drops) assert.equal(d.record_key, 'AAPL', JSON.stringify(d));
});

test('a client retrying a send itself: each failed attempt counts in health while the send is pending; success restores it', async () => {
  const { client, sink, metrics, lines } = setup();
  const healths: SinkHealth[] = [];
  sink.onHealthChange((h) => healths.push(h));
  await sink.start();
  sink.send(rec('AAPL', 1));
  sink.flush(60_000);
  await settle();
  const pending = client.next();
  const report = client.attemptFailed;
  assert.ok(report, "the sink listens for the client's own retries");
  report(connRefused());
  report(connRefused());
  assert.equal(sink.health().ok, true, 'two failed attempts: still healthy');
  report(connRefused());
  const h = sink.health();
  assert.equal(h.ok, false);
  assert.equal(h.consecutiveFailures, 3);
  assert.equal(h.errorClass, 'kafka_metadata');
  assert.equal(h.reason, 'kafka_broker_unreachable');
  assert.equal(h.bufferedRecords, 1, 'the record waits in the batch in flight');
  assert.deepEqual(metrics.failed, ['kafka_metadata', 'kafka_metadata', 'kafka_metadata']);
  assert.equal(client.sends.length, 0, 'the sink sends nothing else while the client retries');
  assert.ok(lines.some((l) => l.includes('the client retries the batch with the same sequence numbers')));
  pending.resolve();
  await settle();
  assert.equal(sink.health().ok, true);
  assert.equal(sink.health().consecutiveFailures, 0);
  assert.equal(sink.health().bufferedRecords, 0);
  assert.deepEqual(metrics.forwarded, [['t', 1]]);
  assert.ok(healths.some((x) => !x.ok) && healths.at(-1)?.ok);
});

test('bufferedBytes and whenBelow: a waiter resolves only once acks bring the buffer to its mark, at once when already there', async () => {
  // each record: key 1 + value 2 + 16 = 19 bytes; requests of at most 40 bytes hold 2 records
  const { client, sink } = setup({ batchBytes: 40, maxRequestBytes: 40 });
  await sink.start();
  assert.equal(sink.bufferedBytes(), 0);
  let immediate = false;
  await sink.whenBelow(0).then(() => {
    immediate = true;
  });
  assert.equal(immediate, true, 'an empty buffer is at any mark');
  for (let i = 1; i <= 6; i++) sink.send(rec('A', i));
  assert.equal(sink.bufferedBytes(), 6 * 19);
  let below = false;
  const waiting = sink.whenBelow(2 * 19).then(() => {
    below = true;
  });
  await settle();
  client.next().resolve(); // records 1-2 acked: 4 left
  await settle();
  assert.equal(sink.bufferedBytes(), 4 * 19);
  assert.equal(below, false, 'still above the mark');
  client.next().resolve(); // records 3-4 acked: 2 left
  await waiting;
  assert.equal(sink.bufferedBytes(), 2 * 19);
  assert.equal(sink.health().bufferedBytes, sink.bufferedBytes());
});

test('whenBelow resolves when the sink closes with records still unacked (nobody waits forever)', async () => {
  const { client, timers, sink } = setup({ lingerMs: 60_000 });
  await sink.start();
  sink.send(rec('A', 1));
  let resolved = false;
  const waiting = sink.whenBelow(0).then(() => {
    resolved = true;
  });
  const closing = sink.close(10);
  await settle();
  assert.equal(client.sends.length, 1, 'the flush sent the record; its ack never comes');
  timers.advance(10); // the flush times out
  await settle();
  assert.equal(resolved, false);
  timers.advance(2_000); // the grace for the send still running
  await closing;
  await waiting;
  assert.equal(resolved, true);
  assert.equal(sink.bufferedBytes(), 19, 'the record is still unacked');
  assert.equal(sink.health().reason, 'kafka_sink_closed');
});

test('the buffer gauge moves in steps of BUFFER_GAUGE_STEP while records arrive and is exact after each ack', async () => {
  const client = new FakeClient();
  const timers = new ManualTimers();
  const reported: number[] = [];
  const sink = createBatchingSink(
    client,
    {
      topics: ['t'],
      lingerMs: 30,
      batchBytes: 1 << 30,
      maxBufferBytes: 1 << 30,
      retryInitialMs: 100,
      retryMaxMs: 1000,
    },
    { logger: silentLogger().logger, timers, metrics: { bufferBytes: (n) => reported.push(n) } },
  );
  await sink.start();
  const value = 'x'.repeat(1000);
  for (let i = 0; i < 1000; i++) sink.send({ topic: 't', key: 'AAPL', value });
  const buffered = sink.health().bufferedBytes;
  assert.ok(buffered > 10 * BUFFER_GAUGE_STEP);
  // One report per step (not one per record), each within a step of the truth.
  assert.ok(reported.length <= Math.ceil(buffered / BUFFER_GAUGE_STEP) + 1, `${reported.length} reports`);
  assert.ok(buffered - (reported.at(-1) as number) < BUFFER_GAUGE_STEP);
  timers.advance(30);
  await settle();
  client.next().resolve();
  await settle();
  assert.equal(reported.at(-1), 0);
});
