/**
 * Heartbeat status events through the real forwarder CLI and broker: each stream publishes one
 * per interval on the status topic with its connection state, the newest event's receipt time and
 * the events read since the previous heartbeat.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { tradeUpdate } from '../../sim/alpaca/index.ts';
import { envelopeErrors } from '../../support/envelope-schema.ts';
import { cleanupAfterAll, forwarderEnv, freshTopics, spawnCli, startSim, waitReadiness } from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

test('heartbeats per stream on the status topic: connection state, last event time, events since the last one', async () => {
  const sim = await startSim(cleanup);
  const topics = await freshTopics(kafka);
  const child = spawnCli(
    forwarderEnv(sim, kafka, topics, {
      ENABLE_TRADE_UPDATES: 'true',
      ALPACA_TRADE_STREAM_URL: sim.urls.trading,
      STATUS_HEARTBEAT_INTERVAL_MS: '250',
    }),
  );
  cleanup.push(async () => {
    if (child.proc.exitCode === null) {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  });
  const listening = await child.waitForLog((l) => l.msg === 'health server listening');
  await waitReadiness(`http://127.0.0.1:${listening.health_port}`, (b) => b.ready, 'ready');

  sim.push([sim.data.trade('AAPL', { t: new Date().toISOString(), i: 1 })]);
  sim.pushTradeUpdate(
    tradeUpdate({ event: 'new', symbol: 'MSFT', orderId: 'o-1', timestamp: new Date().toISOString() }),
  );
  await readTopic(kafka, topics.trades, { count: 1 });
  await readTopic(kafka, topics.tradeUpdates, { count: 1 });

  type Beat = Record<string, unknown> & { stream: string; events: number };
  const beats = (
    records: readonly { value: string | null }[],
  ): { envelope: Record<string, unknown>; p: Beat }[] =>
    records
      .map((r) => JSON.parse(r.value ?? '{}'))
      .filter((e) => e.payload?.status === 'heartbeat')
      .map((envelope) => ({ envelope, p: envelope.payload as Beat }));
  // Each event is counted in exactly one heartbeat of its stream; read until both were, and one
  // quiet heartbeat (events 0, the last event time kept) followed on each stream.
  const settled = (rs: readonly { value: string | null }[]): boolean =>
    ['market_data', 'trade_updates'].every((stream) => {
      const mine = beats(rs).filter((b) => b.p.stream === stream);
      const counted = mine.findIndex((b) => b.p.events > 0);
      return counted >= 0 && mine.slice(counted + 1).some((b) => b.p.events === 0);
    });
  const records = await readTopic(kafka, topics.status, { until: settled });
  for (const stream of ['market_data', 'trade_updates']) {
    const mine = beats(records).filter((b) => b.p.stream === stream);
    const key = records.find(
      (r) => r.value?.includes('"heartbeat"') && JSON.parse(r.value).symbol === stream,
    )?.key;
    assert.equal(key, stream, 'keyed by the stream');
    for (const b of mine) {
      assert.deepEqual(envelopeErrors(b.envelope), []);
      assert.equal(b.envelope.channel, 'status');
      assert.equal(b.p.interval_ms, 250);
    }
    const counted = mine.find((b) => b.p.events > 0);
    assert.ok(counted);
    assert.equal(counted.p.events, 1, `${stream}: the one event, counted once`);
    assert.equal(counted.p.connection, 'healthy');
    assert.equal(typeof counted.p.last_event_at, 'string');
    const quiet = mine.slice(mine.indexOf(counted) + 1).find((b) => b.p.events === 0);
    assert.equal(
      quiet?.p.last_event_at,
      counted.p.last_event_at,
      'a quiet heartbeat keeps the last event time',
    );
    assert.equal(quiet?.p.connection, 'healthy');
    assert.equal(
      mine.reduce((n, b) => n + b.p.events, 0),
      1,
      `${stream}: no event counted twice`,
    );
  }
  assert.equal(beats(records).find((b) => b.p.stream === 'trade_updates')?.envelope.feed, 'alpaca');
});
