/**
 * Kafka-buffer overflow end to end (design §4.5): a broker outage long enough to overflow a
 * small buffer, and an overload while Kafka is healthy. Every drop is reported on the status
 * topic (no recursion, no report lost to its own reporting), a reconnect during the outage still
 * reaches the status topic, and nothing is lost silently: delivered + reported = pushed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatusEvent } from '../../../forwarder/status/status-event.ts';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv, startPrivateKafka } from '../../infra/kafka/index.ts';
import { cleanupAfterAll, readyz, startForwarderStack, waitReadiness } from './harness.ts';

const cleanup = cleanupAfterAll();

function statusOf(records: { value: string | null }[]): StatusEvent[] {
  return records.map((r) => JSON.parse(r.value ?? '{}').payload as StatusEvent);
}

async function metric(base: string, re: RegExp): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => re.test(l))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/** Polls /metrics (no push channel) until the summed series reach `atLeast`, bounded. */
async function waitMetric(base: string, re: RegExp, atLeast: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = await metric(base, re);
    if (last >= atLeast) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${re} >= ${atLeast}; last ${last}`);
}

describe('Kafka buffer overflow', () => {
  test('broker outage overflows the buffer: every drop reported once Kafka is back, the reconnect event kept', async () => {
    const broker = await startPrivateKafka();
    cleanup.push(() => broker.stop());
    const kafka = broker.info;
    const f = await startForwarderStack(cleanup, kafka, {
      sim: { lingerMs: 0 },
      env: {
        KAFKA_BUFFER_MEMORY_BYTES: '65536',
        KAFKA_BATCH_SIZE: '16384',
        // The simulator frees a dropped session's slot at once (lingerMs 0): so does our wait.
        ALPACA_406_COOLDOWN_MS: '300',
      },
    });
    const { sim: s, topics } = f;
    s.push([s.data.trade('AAPL', { i: 1 })]);
    await readTopic(kafka, topics.trades, { count: 1 });

    await broker.stopBroker();
    const pushed = 2_000;
    for (let i = 2; i <= pushed; i += 1) s.push([s.data.trade('AAPL', { i })]);
    await waitReadiness(
      f.base,
      (b) => (b.detail.kafka as { overflowed_records: number }).overflowed_records > 0,
      'overflow while the broker is down',
      120_000,
    );
    // Every frame read before the drop (frames in flight on a dropped socket are lost for good).
    await waitMetric(f.base, /^alpaca_forwarder_events_received_total\{channel="trades"\}/, pushed);
    // A reconnect while the buffer is full: its status events must still be kept.
    const conn = s.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
    assert.ok(conn);
    s.drop(conn.id);
    await s.log.waitForConnection((c) => c.kind === 'market' && c.id !== conn.id);

    await broker.startBroker();
    const back = await waitReadiness(
      f.base,
      (b) => b.ready && (b.detail.kafka_overflow as { unreported_records: number }).unreported_records === 0,
      'ready and every drop reported',
      180_000,
    );
    const overflowed = (back.detail.kafka as { overflowed_records: number }).overflowed_records;
    assert.ok(overflowed > 0);
    await f.running.stop('test');
    const status = statusOf(await readTopic(kafka, topics.status));
    const reports = status.filter((e) => e.reason === 'kafka_buffer_overflow');
    assert.ok(reports.length >= 1, 'reported');
    assert.equal(
      reports.reduce((n, r) => n + (r.overflowed_records ?? 0), 0),
      overflowed,
      'the reports add up to every dropped record',
    );
    assert.ok(reports.every((r) => r.status === 'degraded'));
    assert.ok(
      status.some((e) => e.stream === 'market_data' && e.status === 'reconnect'),
      'the reconnect during the outage reached the status topic',
    );
    const trades = await readTopic(kafka, topics.trades);
    const ids = new Set(trades.map((r) => JSON.parse(r.value ?? '{}').payload.i as number));
    assert.equal(ids.size, trades.length, 'no duplicates');
    assert.equal(ids.size + overflowed, pushed, 'delivered + reported as dropped = pushed');
    assert.ok(!f.log.text().includes('listener threw'), 'no recursion error');
    const errorLines = f.log.lines.filter((l) => /"level":50/.test(l) && /buffer/.test(l));
    assert.ok(errorLines.length <= 10, `${errorLines.length} overflow error lines`);
  });

  test('overflow while Kafka is healthy: degraded status event with the count, readiness detail, metric; readiness stays', async () => {
    const kafka = kafkaFromEnv();
    const f = await startForwarderStack(cleanup, kafka, {
      sim: { lingerMs: 0, batchSize: 200 },
      env: { KAFKA_BUFFER_MEMORY_BYTES: '32768', KAFKA_BATCH_SIZE: '16384' },
    });
    const { sim: s, topics } = f;
    // A burst far faster than one produce request at a time can take into a 32 KiB buffer.
    const pushed = 20_000;
    const burst = Array.from({ length: pushed }, (_, k) => s.data.trade('AAPL', { i: k + 1 }));
    s.push(burst, { batchSize: 200 });
    const body = await waitReadiness(
      f.base,
      (b) =>
        (b.detail.kafka_overflow as { overflowed_records: number } | undefined)?.overflowed_records !==
          undefined && (b.detail.kafka_overflow as { overflowed_records: number }).overflowed_records > 0,
      'overflow visible in /readyz',
    );
    const detail = body.detail.kafka_overflow as { while_kafka_healthy: boolean };
    assert.equal(detail.while_kafka_healthy, true);
    assert.equal((await readyz(f.base)).status, 200, 'readiness does not flip for overload');
    const done = await waitReadiness(
      f.base,
      (b) => (b.detail.kafka_overflow as { unreported_records: number }).unreported_records === 0,
      'every drop reported',
    );
    const overflowed = (done.detail.kafka as { overflowed_records: number }).overflowed_records;
    assert.ok((await metric(f.base, /^alpaca_forwarder_kafka_buffer_overflow_total\{/)) >= overflowed);
    await f.running.stop('test');
    const reports = statusOf(await readTopic(kafka, topics.status)).filter(
      (e) => e.reason === 'kafka_buffer_overflow',
    );
    assert.ok(reports.length >= 1);
    for (const r of reports) {
      assert.equal(r.status, 'degraded');
      assert.equal(r.error_class, null, 'Kafka was healthy');
    }
    assert.equal(
      reports.reduce((n, r) => n + (r.overflowed_records ?? 0), 0),
      overflowed,
    );
    const trades = await readTopic(kafka, topics.trades);
    assert.equal(trades.length + overflowed, pushed, 'delivered + reported as dropped = pushed');
  });
});
