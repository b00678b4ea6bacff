/**
 * Paced start-up backfill end to end (issue 10.4): a bars backfill ten times larger than the
 * Kafka buffer, served by the simulator's REST over several pages, reaches the real broker
 * complete (every bar read back exactly once) with no record refused. Before the pacing the whole
 * backfill went to the pipeline in one call and the buffer refused most of it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  readyz,
  startInProcess,
  startSim,
  waitReadiness,
} from './harness.ts';

const cleanup = cleanupAfterAll();

test('a bars backfill ten times the Kafka buffer arrives complete, each bar once, nothing refused', async () => {
  const kafka = kafkaFromEnv();
  const sim = await startSim(cleanup, { lingerMs: 0 });
  const topics = await freshTopics(kafka);
  const symbols = Array.from({ length: 20 }, (_, i) => `BF${String(i).padStart(2, '0')}`);
  const minutes = 300;
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const bars = [];
  for (let m = minutes; m >= 1; m--)
    for (const s of symbols) bars.push(sim.data.bar(s, { t: iso(now - m * 60_000), v: 1000 + m }));
  sim.record(bars);
  const total = symbols.length * minutes;
  const bufferBytes = 131_072;
  // ~450 bytes per bar record: the backfill is > 10x the buffer.
  assert.ok(total * 400 > 10 * bufferBytes);
  const f = await startInProcess(
    forwarderEnv(sim, kafka, topics, {
      SYMBOLS: symbols.join(','),
      ENABLE_BARS_BACKFILL: 'true',
      BARS_BACKFILL_LOOKBACK_MINUTES: String(minutes + 10),
      KAFKA_BUFFER_MEMORY_BYTES: String(bufferBytes),
      KAFKA_BATCH_SIZE: '16384',
    }),
  );
  cleanup.push(() => f.running.stop('test'));
  await waitReadiness(f.base, (b) => b.ready, 'ready');
  const read = await readTopic(kafka, topics.bars, { count: total, timeoutMs: 120_000 });
  const keys = read.map((r) => {
    const e = JSON.parse(r.value ?? '{}');
    assert.equal(e.source, 'rest');
    return `${e.symbol}|${e.payload.t}`;
  });
  assert.equal(keys.length, total);
  assert.equal(new Set(keys).size, total, 'every bar exactly once');
  const expected = new Set(bars.map((b) => `${b.S}|${b.t}`));
  assert.ok(
    keys.every((k) => expected.has(k)),
    'only the recorded bars',
  );
  const kafkaDetail = (await readyz(f.base)).body.detail.kafka as { overflowed_records: number };
  assert.equal(kafkaDetail.overflowed_records, 0, 'no record refused by the buffer');
  assert.ok(
    f.log.lines.some((l) => l.includes('bars backfill done') && l.includes(`"events":${total}`)),
    'the backfill reports every bar delivered',
  );
});
