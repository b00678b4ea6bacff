/**
 * Failure classes end to end: 406 second connection (and recovery when the slot frees), wrong
 * Alpaca keys, wrong Kafka password, malformed/unknown frames; /readyz carries the class and
 * never a secret.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { encode } from '@msgpack/msgpack';
import WebSocket from 'ws';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  type InProcess,
  KEY_ID,
  readyz,
  SECRET,
  startInProcess,
  startSim,
  waitReadiness,
} from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

function sim(): Promise<AlpacaSim> {
  return startSim(cleanup, { lingerMs: 300 });
}

async function forwarder(env: Record<string, string>): Promise<InProcess> {
  const f = await startInProcess(env);
  cleanup.push(() => f.running.stop('test'));
  return f;
}

function assertNoSecrets(f: InProcess, bodyText: string, extra: string[] = []): void {
  for (const secret of [SECRET, KEY_ID, kafka.user.password, ...extra]) {
    assert.ok(!f.log.text().includes(secret), 'secret in logs');
    assert.ok(!bodyText.includes(secret), 'secret in /readyz');
  }
}

/** Another client holding the account's connection slot (JSON, authenticated). */
async function holdSlot(s: AlpacaSim): Promise<WebSocket> {
  const ws = new WebSocket(s.streamUrl('iex'));
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const msgs = JSON.parse(String(data)) as { T: string; msg?: string }[];
      if (msgs.some((m) => m.T === 'success' && m.msg === 'connected')) {
        ws.send(JSON.stringify({ action: 'auth', key: KEY_ID, secret: SECRET }));
      }
      if (msgs.some((m) => m.T === 'success' && m.msg === 'authenticated')) resolve();
    });
  });
  return ws;
}

describe('forwarder failure classes', () => {
  let topics: Awaited<ReturnType<typeof freshTopics>>;
  before(async () => {
    topics = await freshTopics(kafka);
  });

  test('406: another client holds the slot → 503 alpaca_406_second_connection; recovers when it frees', async () => {
    const s = await sim();
    const other = await holdSlot(s);
    const f = await forwarder(forwarderEnv(s, kafka, topics, { ALPACA_406_COOLDOWN_MS: '300' }));
    const body = await waitReadiness(f.base, (b) => b.error_class === 'alpaca_406_second_connection', '406');
    const raw = await readyz(f.base);
    assert.equal(raw.status, 503);
    assert.equal(body.gates.alpaca_ws, false);
    assert.match(body.reason ?? '', /^alpaca_406/);
    other.close(1000);
    await waitReadiness(f.base, (b, status) => b.ready && status === 200, 'recovered');
    assertNoSecrets(f, JSON.stringify(body));
  });

  test('wrong Alpaca keys → alpaca_auth', async () => {
    const s = await sim();
    const f = await forwarder(
      forwarderEnv(s, kafka, topics, { ALPACA_SECRET_KEY: 'wrong-secret-value-xyz' }),
    );
    const body = await waitReadiness(f.base, (b) => b.error_class === 'alpaca_auth', 'alpaca_auth');
    assert.equal(body.ready, false);
    assert.equal((await readyz(f.base)).status, 503);
    assertNoSecrets(f, JSON.stringify(body), ['wrong-secret-value-xyz']);
  });

  test('wrong Kafka password → kafka_auth, no crash, Alpaca not connected meanwhile', async () => {
    const s = await sim();
    const f = await forwarder(
      forwarderEnv(s, kafka, topics, { KAFKA_SASL_PASSWORD: 'not-the-kafka-password' }, 'SASL_PLAINTEXT'),
    );
    const body = await waitReadiness(f.base, (b) => b.error_class === 'kafka_auth', 'kafka_auth');
    assert.equal(body.gates.kafka, false);
    assert.equal(f.exits.length, 0, 'process keeps running');
    assert.equal(
      s.log.connectionList().filter((c) => c.kind === 'market').length,
      0,
      'the Alpaca slot is not taken while Kafka refuses records',
    );
    assertNoSecrets(f, JSON.stringify(body), ['not-the-kafka-password']);
  });

  test('a missing topic → kafka_topic_missing, /readyz detail names the topic', async () => {
    const s = await sim();
    const missing = `${topics.bars}.absent`;
    const f = await forwarder(forwarderEnv(s, kafka, { ...topics, bars: missing }));
    const body = await waitReadiness(
      f.base,
      (b) => b.reason === 'kafka_topic_missing',
      'kafka_topic_missing',
    );
    assert.equal(body.error_class, 'kafka_metadata');
    assert.equal((await readyz(f.base)).status, 503);
    assert.deepEqual((body.detail.kafka as Record<string, unknown>).missing_topics, [missing]);
  });

  test('malformed frames and unknown message types are counted, the stream keeps going', async () => {
    const s = await sim();
    const own = await freshTopics(kafka);
    const f = await forwarder(forwarderEnv(s, kafka, own));
    await waitReadiness(f.base, (b) => b.ready, 'ready');
    const conn = s.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
    assert.ok(conn);
    s.pushFrame(conn.id, Buffer.from([0xc1, 0xff, 0x00]));
    s.pushFrame(conn.id, Buffer.from(encode([{ T: 'zz', S: 'AAPL' }])));
    // A trade without a price: dropped, labelled with its envelope channel (not its type 't').
    s.pushFrame(conn.id, Buffer.from(encode([{ T: 't', S: 'AAPL', i: 777_000, t: '2026-01-02T15:00:00Z' }])));
    s.push([s.data.trade('AAPL', { i: 777_001 })]);
    const records = await readTopic(kafka, own.trades, { count: 1 });
    assert.equal(JSON.parse(records[0]?.value ?? '{}').payload?.i, 777_001);
    const metrics = (await (await fetch(`${f.base}/metrics`)).text())
      .split('\n')
      .filter((l) => /^alpaca_forwarder_(events_dropped|unknown_messages)/.test(l))
      .join('\n');
    assert.match(metrics, /alpaca_forwarder_events_dropped_total\{channel="unknown",reason="[a-z_]+"\} 1/);
    // An undocumented type is labelled `other` (label values from upstream are bounded).
    assert.match(metrics, /alpaca_forwarder_unknown_messages_total\{stream="market_data",type="other"\} 1/);
    assert.match(
      metrics,
      /alpaca_forwarder_events_dropped_total\{channel="trades",reason="invalid_trade_price"\} 1/,
    );
    assert.equal((await readyz(f.base)).body.ready, true);
  });
});
