/**
 * Fuzz (issue 15): the real forwarder CLI against the simulator and Kafka, 50,000 hostile
 * market-data frames and 10,000 hostile trading-stream frames of every kind interleaved with
 * valid events, then hostile REST pages (huge, deeply nested, mistyped) on repeated gap fills.
 * Asserts behaviour, not timings: the process lives, every valid event is in Kafka exactly once,
 * every /healthz probe got a 200, the metric series stay under a fixed bound, and the heap after
 * the run (after a GC) is within a fixed margin of the heap before it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { runFuzz } from './fuzz-run.ts';
import { cleanupAfterAll, freshTopics, startSim } from './harness.ts';

const cleanup = cleanupAfterAll();
const SERIES_BOUND = 400;
const HEAP_MARGIN_BYTES = 32 * 1024 * 1024;

function sorted<T>(xs: readonly T[]): T[] {
  return [...xs].sort();
}

// 144 s alone on this machine; beside the rest of the suite on 2 cores it can pass the runner's
// default 300 s, so it has its own bound (a safety net, not a timing assertion).
test('fuzz: 60,000 hostile frames and hostile REST pages; valid events exactly once, alive, bounded', {
  timeout: 900_000,
}, async () => {
  const kafka = kafkaFromEnv();
  const sim = await startSim(cleanup, { lingerMs: 0, logFrames: false });
  const topics = await freshTopics(kafka);
  const r = await runFuzz(
    sim,
    kafka,
    topics,
    { seed: 15, marketFrames: 50_000, tradingFrames: 10_000, validEvery: 10, restRounds: 12 },
    (stop) => cleanup.push(stop),
  );
  const kinds = Object.keys(r.hostile);
  for (const k of [
    'wrong_types',
    'deep_nesting',
    'invalid_msgpack',
    'invalid_json',
    'unknown_type',
    'huge_string',
    'oversized_symbol',
    'empty_frame',
  ])
    assert.ok(kinds.includes(`market:${k}`), `market frames of kind ${k} were sent`);
  for (const k of [
    'wrong_types',
    'deep_nesting',
    'binary_where_json',
    'unknown_type',
    'huge_string',
    'oversized_symbol',
  ])
    assert.ok(kinds.includes(`trading:${k}`), `trading frames of kind ${k} were sent`);

  assert.equal(r.alive, true, 'the process lived through the run');
  assert.equal(r.exitCode, 0, 'and exited cleanly on SIGTERM');
  assert.deepEqual(
    sorted(r.tradesInKafka),
    sorted(r.validTrades),
    'every valid trade exactly once, nothing else',
  );
  assert.deepEqual(sorted(r.updatesInKafka), sorted(r.validUpdates), 'every valid trade update exactly once');
  assert.deepEqual(sorted(r.restBarsInKafka), sorted(r.validRestBars), 'every valid REST bar exactly once');
  assert.ok(r.probes.sent > 10, `${r.probes.sent} probes`);
  assert.deepEqual(r.probes.failed, [], 'every /healthz probe answered 200');
  assert.equal(r.probes.ok, r.probes.sent);
  assert.ok(r.seriesAfter < SERIES_BOUND, `${r.seriesAfter} metric series (before: ${r.seriesBefore})`);
  assert.ok(
    r.heapAfter - r.heapBefore < HEAP_MARGIN_BYTES,
    `heap after ${(r.heapAfter / 2 ** 20).toFixed(1)} MiB vs before ${(r.heapBefore / 2 ** 20).toFixed(1)} MiB`,
  );
  // Paced logs: bounded lines for 60,000 bad frames (one per kind + summaries + lifecycle).
  assert.ok(r.logLines < 1_000, `${r.logLines} log lines`);
});
