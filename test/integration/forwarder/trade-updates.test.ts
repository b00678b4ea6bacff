/**
 * trade_updates enabled: the gate appears in /readyz, order events reach the trade-updates topic
 * keyed by symbol (feed "alpaca"), replays are dropped, and both streams publish status events.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { tradeUpdate } from '../../sim/alpaca/index.ts';
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

test('trade updates: gate, records, dedup, status events for both streams', async () => {
  const kafka = kafkaFromEnv();
  const sim = await startSim(cleanup);
  const topics = await freshTopics(kafka);
  const f = await startInProcess(
    forwarderEnv(sim, kafka, topics, {
      ENABLE_TRADE_UPDATES: 'true',
      ALPACA_TRADE_STREAM_URL: sim.urls.trading,
    }),
  );
  cleanup.push(() => f.running.stop('test'));
  const ready = await waitReadiness(f.base, (b) => b.ready, 'ready with trade updates');
  assert.deepEqual(ready.gates, { alpaca_ws: true, kafka: true, trade_updates: true });

  const fill = tradeUpdate({
    event: 'fill',
    symbol: 'AAPL',
    timestamp: '2026-01-05T15:00:00.123456789Z',
    orderId: 'o-1',
  });
  const accepted = tradeUpdate({
    event: 'new',
    symbol: 'MSFT',
    timestamp: '2026-01-05T15:00:01Z',
    orderId: 'o-2',
  });
  assert.equal(sim.pushTradeUpdate(fill), 1);
  sim.pushTradeUpdate(fill);
  sim.pushTradeUpdate(accepted);
  const records = await readTopic(kafka, topics.tradeUpdates, { count: 2 });
  const envs = records.map((r) => ({ key: r.key, e: JSON.parse(r.value ?? '{}') }));
  assert.deepEqual(envs.map((x) => x.key).sort(), ['AAPL', 'MSFT']);
  for (const { e } of envs) {
    assert.deepEqual(envelopeErrors(e), []);
    assert.equal(e.channel, 'trade_updates');
    assert.equal(e.feed, 'alpaca');
  }
  // The replayed fill must not be a third record: wait for a later marker instead of sleeping.
  sim.pushTradeUpdate(
    tradeUpdate({ event: 'canceled', symbol: 'TSLA', timestamp: '2026-01-05T15:00:02Z', orderId: 'o-3' }),
  );
  const all = await readTopic(kafka, topics.tradeUpdates, { count: 3 });
  assert.deepEqual(all.map((r) => r.key).sort(), ['AAPL', 'MSFT', 'TSLA']);
  const statuses = (await readTopic(kafka, topics.status)).map((r) => r.key);
  assert.ok(statuses.includes('market_data') && statuses.includes('trade_updates'), statuses.join(','));
});
