/**
 * Kafka paths: streaming over SASL_SSL (SCRAM-SHA-512, CA-verified TLS), and a broker stopped
 * mid-stream: readiness reports kafka_produce/kafka_metadata, the process stays up, and the
 * events buffered during the outage are delivered once the broker is back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv, startPrivateKafka } from '../../infra/kafka/index.ts';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';
import { envelopeErrors } from '../../support/envelope-schema.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  startInProcess,
  startSim,
  waitReadiness,
} from './harness.ts';

const cleanup = cleanupAfterAll();

function sim(): Promise<AlpacaSim> {
  return startSim(cleanup, { lingerMs: 300 });
}

describe('forwarder Kafka paths', () => {
  test('SASL_SSL: ordered per symbol with valid envelopes, key = symbol', async () => {
    const kafka = kafkaFromEnv();
    const s = await sim();
    const topics = await freshTopics(kafka);
    const f = await startInProcess(forwarderEnv(s, kafka, topics, {}, 'SASL_SSL'));
    cleanup.push(() => f.running.stop('test'));
    await waitReadiness(f.base, (b) => b.ready, 'ready over SASL_SSL');
    for (let i = 1; i <= 5; i += 1) s.push(['AAPL', 'MSFT'].map((sym) => s.data.trade(sym, { i })));
    const records = await readTopic(kafka, topics.trades, { count: 10 });
    for (const sym of ['AAPL', 'MSFT']) {
      const mine = records.filter((r) => r.key === sym).map((r) => JSON.parse(r.value ?? '{}'));
      assert.deepEqual(
        mine.map((e) => e.payload.i),
        [1, 2, 3, 4, 5],
      );
      for (const e of mine) assert.deepEqual(envelopeErrors(e), []);
    }
    assert.ok(!f.log.text().includes(kafka.user.password), 'SASL password not logged');
  });

  test('broker stopped mid-stream: kafka error class, no crash, buffered events delivered after it returns', async () => {
    const broker = await startPrivateKafka();
    cleanup.push(() => broker.stop());
    const kafka = broker.info;
    const s = await sim();
    const topics = await freshTopics(kafka);
    const f = await startInProcess(forwarderEnv(s, kafka, topics));
    cleanup.push(() => f.running.stop('test'));
    await waitReadiness(f.base, (b) => b.ready, 'ready');
    s.push([s.data.trade('AAPL', { i: 1 })]);
    await readTopic(kafka, topics.trades, { count: 1 });

    await broker.stopBroker();
    for (let i = 2; i <= 40; i += 1) s.push([s.data.trade('AAPL', { i })]);
    const down = await waitReadiness(
      f.base,
      (b) => b.error_class === 'kafka_produce' || b.error_class === 'kafka_metadata',
      'kafka error class while the broker is down',
      120_000,
    );
    assert.equal(down.gates.kafka, false);
    assert.equal(f.exits.length, 0, 'no crash');

    await broker.startBroker();
    await waitReadiness(f.base, (b) => b.ready, 'ready after the broker returns', 180_000);
    const records = await readTopic(kafka, topics.trades, { count: 40, timeoutMs: 120_000 });
    const ids = records.map((r) => JSON.parse(r.value ?? '{}').payload.i as number);
    assert.deepEqual(
      [...new Set(ids)].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, k) => k + 1),
      'every event delivered',
    );
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'in order',
    );
  });

  test('SIGTERM while Kafka is down: exit code 1 after the grace period, the records left are logged', async () => {
    const broker = await startPrivateKafka();
    cleanup.push(() => broker.stop());
    const kafka = broker.info;
    const s = await sim();
    const topics = await freshTopics(kafka);
    const f = await startInProcess(forwarderEnv(s, kafka, topics, { SHUTDOWN_GRACE_MS: '3000' }));
    await waitReadiness(f.base, (b) => b.ready, 'ready');
    await broker.stopBroker();
    for (let i = 1; i <= 5; i += 1) s.push([s.data.trade('AAPL', { i })]);
    await waitReadiness(
      f.base,
      (b) => (b.detail.kafka as { buffered_records: number }).buffered_records >= 5,
      'buffered',
    );
    const conn = s.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
    assert.ok(conn);
    assert.equal(await f.running.stop('SIGTERM'), 1);
    assert.equal(s.log.connection(conn.id).closeHow, 'clean', 'sockets still closed cleanly first');
    const left = f.log.lines.map((l) => JSON.parse(l)).find((l) => /could not flush Kafka/.test(l.msg ?? ''));
    assert.ok(left, 'the loss is logged');
    assert.ok(left.buffered_records >= 5, JSON.stringify(left));
  });
});
