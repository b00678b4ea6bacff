/**
 * Checked subscriptions end to end: the simulator leaves a wanted symbol out of its
 * `subscription` ack → the forwarder reports it (metric, /readyz detail, a degraded status event
 * on the real broker), is not ready with error_class subscription_incomplete, resubscribes the
 * missing symbol; once the simulator takes it, the forwarder is ready again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { StatusEvent } from '../../../forwarder/status/status-event.ts';
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

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

async function metric(base: string, series: string): Promise<number | null> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

test('a symbol missing from the ack is reported, resubscribed, and the forwarder is ready once Alpaca takes it', async () => {
  const sim = await startSim(cleanup);
  const topics = await freshTopics(kafka);
  sim.withholdFromAcks(['MSFT']);
  const f = await startInProcess(
    forwarderEnv(sim, kafka, topics, { SYMBOLS: 'AAPL,MSFT,TSLA', ALPACA_MARKET_DATA_CHANNELS: 'trades' }),
  );
  cleanup.push(() => f.running.stop('test'));

  const body = await waitReadiness(
    f.base,
    (b) => b.error_class === 'subscription_incomplete',
    'not ready: subscription_incomplete',
  );
  assert.equal(body.ready, false);
  assert.equal(body.reason, 'alpaca_subscription_incomplete');
  assert.equal(body.gates.alpaca_ws, false);
  assert.equal(body.symbol_count, 3);
  const detail = body.detail.subscriptions as Record<string, unknown>;
  assert.equal(detail.missing_count, 1);
  assert.deepEqual(detail.missing, { trades: ['MSFT'] });
  assert.equal((await readyz(f.base)).status, 503);
  assert.equal(await metric(f.base, 'alpaca_forwarder_subscription_missing_symbols{channel="trades"}'), 1);

  // The forwarder subscribes the missing symbol again (only that one).
  await sim.log.waitFor(
    (e) =>
      e.type === 'frame' &&
      e.dir === 'in' &&
      isDeepStrictEqual(e.messages, [{ action: 'subscribe', trades: ['MSFT'] }]),
    { timeoutMs: 30_000 },
  );
  sim.stopWithholding();
  const ready = await waitReadiness(f.base, (b) => b.ready, 'ready once MSFT is acked');
  assert.equal((ready.detail.subscriptions as Record<string, unknown>).missing_count, 0);
  assert.equal(await metric(f.base, 'alpaca_forwarder_subscription_missing_symbols{channel="trades"}'), 0);
  const resubscribes = await metric(
    f.base,
    'alpaca_forwarder_subscription_resubscribes_total{channel="trades"}',
  );
  assert.ok(resubscribes !== null && resubscribes >= 2, `resubscribes: ${resubscribes}`);
  const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
  assert.deepEqual([...(sim.log.subscriptionsOf(conn?.id ?? -1)?.trades ?? [])].sort(), [
    'AAPL',
    'MSFT',
    'TSLA',
  ]);

  // The status topic names what was missing, then reports healthy again.
  const events = (await readTopic(kafka, topics.status)).map(
    (r) => JSON.parse(r.value ?? '{}').payload as StatusEvent,
  );
  const degraded = events.findIndex((e) => e.reason === 'alpaca_subscription_incomplete');
  assert.ok(degraded >= 0, JSON.stringify(events));
  const d = events[degraded] as StatusEvent;
  assert.equal(d.stream, 'market_data');
  assert.equal(d.status, 'degraded');
  assert.equal(d.error_class, 'subscription_incomplete');
  assert.equal(d.missing_count, 1);
  assert.deepEqual(d.missing_symbols, { trades: ['MSFT'] });
  assert.ok(events.slice(degraded + 1).some((e) => e.stream === 'market_data' && e.status === 'healthy'));
});
