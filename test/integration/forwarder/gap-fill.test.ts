/**
 * Gap fill (design §4.5): bars published while the socket was down are fetched over REST after
 * the reconnect (source rest, is_final) and deduplicated against what the socket already sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
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

test('bars missed during a drop arrive over REST once, without duplicating live bars', async () => {
  const kafka = kafkaFromEnv();
  const sim = await startSim(cleanup, { lingerMs: 300 });
  const topics = await freshTopics(kafka);
  const f = await startInProcess(
    forwarderEnv(sim, kafka, topics, {
      SYMBOLS: 'AAPL',
      ENABLE_GAP_FILL: 'true',
      ALPACA_406_COOLDOWN_MS: '400',
    }),
  );
  cleanup.push(() => f.running.stop('test'));
  await waitReadiness(f.base, (b) => b.ready, 'ready');
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  sim.push([sim.data.bar('AAPL', { t: iso(minute - 60_000) })]);
  await readTopic(kafka, topics.bars, { count: 1 });

  const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
  assert.ok(conn);
  const mark = sim.log.mark();
  sim.drop(conn.id);
  sim.record([sim.data.bar('AAPL', { t: iso(minute) })]);
  await sim.log.waitFor((e) => e.type === 'rest' && e.path.includes('bars'), {
    since: mark,
    timeoutMs: 60_000,
  });
  await waitReadiness(f.base, (b) => b.ready, 'ready after reconnect');
  const bars = await readTopic(kafka, topics.bars, { count: 2 });
  const second = JSON.parse(bars[1]?.value ?? '{}');
  assert.equal(second.source, 'rest');
  assert.equal(second.is_final, true);
  assert.equal(second.window.start.slice(0, 16), iso(minute).slice(0, 16));
  assert.deepEqual(envelopeErrors(second), []);
  // A live marker after the fill: had the REST copy of the first bar not been deduplicated, it
  // would sit before the marker (one partition) and the marker would not be among 3 records.
  sim.push([sim.data.bar('AAPL', { t: iso(minute + 60_000) })]);
  const all = (await readTopic(kafka, topics.bars, { count: 3 })).map((r) => JSON.parse(r.value ?? '{}'));
  assert.deepEqual(
    all.map((e) => [e.source, e.window.start.slice(0, 16)]),
    [
      ['ws', iso(minute - 60_000).slice(0, 16)],
      ['rest', iso(minute).slice(0, 16)],
      ['ws', iso(minute + 60_000).slice(0, 16)],
    ],
  );
});
