/**
 * trade_updates gap reconciliation through the real forwarder CLI, the simulator and the broker:
 * fills made while the trading socket is down reach Kafka from /v2/account/activities after the
 * reconnect (source rest), once each; a fill the socket did deliver (also in the REST window) is
 * not published again; the gap is still reported on the status topic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { tradeUpdate } from '../../sim/alpaca/index.ts';
import { envelopeErrors } from '../../support/envelope-schema.ts';
import {
  type Child,
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  spawnCli,
  startSim,
  waitReadiness,
} from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

async function startCli(env: Record<string, string>): Promise<{ child: Child; base: string }> {
  const child = spawnCli(env);
  cleanup.push(async () => {
    if (child.proc.exitCode === null) {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  });
  const listening = await child.waitForLog((l) => l.msg === 'health server listening');
  return { child, base: `http://127.0.0.1:${listening.health_port}` };
}

test('fills made while the trading socket is down arrive from REST after the reconnect, once each', async () => {
  const sim = await startSim(cleanup, { lingerMs: 200 });
  const topics = await freshTopics(kafka);
  const { child, base } = await startCli(
    forwarderEnv(sim, kafka, topics, {
      ENABLE_TRADE_UPDATES: 'true',
      ALPACA_TRADE_STREAM_URL: sim.urls.trading,
      ALPACA_406_COOLDOWN_MS: '300',
    }),
  );
  await waitReadiness(base, (b) => b.ready, 'ready with trade updates');
  const now = () => new Date().toISOString();

  // A: a partial fill the socket delivers.
  const a = tradeUpdate({
    event: 'partial_fill',
    symbol: 'AAPL',
    qty: '10',
    orderId: 'o-1',
    timestamp: now(),
  });
  assert.equal(sim.pushTradeUpdate(a), 1);
  const [first] = await readTopic(kafka, topics.tradeUpdates, { count: 1 });
  assert.equal(JSON.parse(first?.value ?? '{}').source, 'ws');

  // B and C happen at Alpaca while the socket is gone (dropped, no close frame): no socket hears them.
  const trading = sim.log.connectionList().find((c) => c.kind === 'trading' && c.closedAt === null);
  assert.ok(trading);
  sim.drop(trading.id);
  const b = tradeUpdate({ event: 'fill', symbol: 'AAPL', qty: '10', orderId: 'o-1', timestamp: now() });
  const c = tradeUpdate({ event: 'fill', symbol: 'MSFT', qty: '3', orderId: 'o-2', timestamp: now() });
  sim.pushTradeUpdate(b);
  sim.pushTradeUpdate(c);
  // An order event in the gap: not a fill, not recoverable.
  sim.pushTradeUpdate(tradeUpdate({ event: 'new', symbol: 'TSLA', orderId: 'o-3', timestamp: now() }));

  // After the reconnect the gap is reconciled, then reported (status topic).
  const gapStatus = await readStatusUntil(topics.status, (p) => p.reason === 'trade_updates_gap');
  assert.equal(gapStatus.stream, 'trade_updates');
  assert.equal(gapStatus.status, 'degraded');
  assert.equal(gapStatus.fills_fetched, 3, 'A (in the lead window), B and C');
  assert.equal(gapStatus.fills_error, undefined);
  await waitReadiness(base, (r) => r.ready, 'ready after the reconnect');

  // D: a live marker after the reconciliation. Had A been published again from REST it would sit
  // before D on the one partition, and D would not be among the first four records.
  const d = tradeUpdate({ event: 'fill', symbol: 'TSLA', qty: '1', orderId: 'o-4', timestamp: now() });
  assert.equal(sim.pushTradeUpdate(d), 1);
  const records = await readTopic(kafka, topics.tradeUpdates, { count: 4 });
  const envs = records.map((r) => JSON.parse(r.value ?? '{}'));
  for (const e of envs) assert.deepEqual(envelopeErrors(e), []);
  const rows = envs.map((e) => [e.source, e.payload.event, e.payload.order.id, e.payload.order.filled_qty]);
  // B and C may share a millisecond: Alpaca (and the sim) then order them by activity id.
  assert.deepEqual(
    [rows[0], ...rows.slice(1, 3).sort((x, y) => String(x[2]).localeCompare(String(y[2]))), rows[3]],
    [
      ['ws', 'partial_fill', 'o-1', '5'],
      ['rest', 'fill', 'o-1', '10'],
      ['rest', 'fill', 'o-2', '3'],
      ['ws', 'fill', 'o-4', '1'],
    ],
  );
  const rest = envs.find((e) => e.source === 'rest' && e.payload.order.id === 'o-1');
  assert.equal(rest.symbol, 'AAPL');
  assert.equal(rest.channel, 'trade_updates');
  assert.equal(rest.event_ts, b.timestamp);
  assert.equal(rest.payload.price, b.price);
  assert.equal(rest.payload.qty, b.qty);
  assert.equal(rest.payload.order.side, 'buy');
  assert.equal(rest.payload.order.status, 'filled');
  assert.equal(rest.dedup_key, 'trade_updates:o-1:fill:filled:10');
  const logs = child.stdout.join('\n');
  assert.ok(logs.includes('fills reconciled over REST'), 'reconciliation logged');
  const activityCalls = sim.log.events.filter(
    (e) => e.type === 'rest' && e.path.startsWith('/v2/account/activities'),
  );
  // One per gap (a loaded machine may add a reconnect: its REST copies are deduplicated too).
  assert.ok(activityCalls.length >= 1, 'activities fetched');
  for (const call of activityCalls)
    assert.match(call.type === 'rest' ? call.path : '', /activity_types=FILL&direction=asc&after=/);
});

async function readStatusUntil(
  topic: string,
  pred: (payload: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const payloads = (records: readonly { value: string | null }[]) =>
    records.map((r) => JSON.parse(r.value ?? '{}').payload as Record<string, unknown>);
  const records = await readTopic(kafka, topic, { until: (rs) => payloads(rs).some(pred) });
  return payloads(records).find(pred) as Record<string, unknown>;
}
