/**
 * KAFKA_COMPRESSION reaches the wire: the broker's own log segments show the codec of every
 * record batch the forwarder wrote (no client library trusted), for `none` and the default lz4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { readBatchHeaders } from '../../infra/kafka/index.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { cleanupAfterAll, startForwarderStack } from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

for (const [setting, codec] of [
  ['none', 'none'],
  [undefined, 'lz4'],
] as const) {
  test(`KAFKA_COMPRESSION=${setting ?? '(default)'}: every batch on the broker is ${codec}`, async () => {
    const { sim, topics } = await startForwarderStack(cleanup, kafka, {
      env: { SYMBOLS: 'AAPL', ...(setting ? { KAFKA_COMPRESSION: setting } : {}) },
    });
    for (let i = 0; i < 20; i += 1) sim.push([sim.data.trade('AAPL', { i: 900 + i })]);
    const records = await readTopic(kafka, topics.trades, { count: 20 });
    const partition = records[0]?.partition ?? 0;
    const batches = await readBatchHeaders(kafka, topics.trades, partition);
    assert.ok(batches.length > 0);
    assert.deepEqual([...new Set(batches.map((b) => b.codec))], [codec]);
  });
}
