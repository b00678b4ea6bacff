/**
 * The frame forms Alpaca really sends, through the real CLI (child process) against the
 * simulator (which sends them) and the real broker: the trading stream's error frame and 0x01
 * heartbeats, trade updates without `timestamp`/`at`, msgpack timestamps in the compact 32/64-bit
 * forms, and a reconnect gap whose trades (one of them canceled) arrive in Kafka from REST.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';
import { tradeUpdate } from '../../sim/alpaca/index.ts';
import { envelopeErrors } from '../../support/envelope-schema.ts';
import { cleanupAfterAll, KEY_ID, SECRET, startCliStack, waitReadiness } from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

async function metric(base: string, re: RegExp): Promise<number> {
  const m = re.exec(await (await fetch(`${base}/metrics`)).text());
  return m ? Number(m[1]) : 0;
}

function openConnection(sim: AlpacaSim, kind: 'market' | 'trading'): number {
  const c = sim.log.connectionList().find((x) => x.kind === kind && x.closedAt === null);
  assert.ok(c, `no open ${kind} connection`);
  return c.id;
}

describe('real Alpaca frames through the CLI', () => {
  test('trading stream: heartbeats counted silently, UTC event_ts without timestamp/at, the error frame classified and logged', async () => {
    const { sim, topics, child, base } = await startCliStack(cleanup, kafka, {
      env: (s) => ({ ENABLE_TRADE_UPDATES: 'true', ALPACA_TRADE_STREAM_URL: s.urls.trading }),
    });
    const trading = openConnection(sim, 'trading');

    for (let i = 0; i < 3; i += 1) sim.tradingHeartbeat(trading);
    // An order event that carries neither `timestamp` nor `at`: its order time has an offset.
    const update = tradeUpdate({
      event: 'new',
      symbol: 'AAPL',
      timestamp: '2026-01-05T15:00:00Z',
      orderId: 'o-9',
    });
    delete update.timestamp;
    delete update.at;
    (update.order as Record<string, unknown>).updated_at = '2026-01-05T10:00:00.123456789-05:00';
    assert.equal(sim.pushTradeUpdate(update), 1);
    const [record] = await readTopic(kafka, topics.tradeUpdates, { count: 1 });
    const envelope = JSON.parse(record?.value ?? '{}');
    assert.deepEqual(envelopeErrors(envelope), []);
    assert.equal(envelope.event_ts, '2026-01-05T15:00:00.123456789Z');
    // Frames are handled in order: the heartbeats before the update are counted by now.
    assert.equal(
      await metric(base, /^alpaca_forwarder_heartbeats_total\{stream="trade_updates"\} (\d+)/m),
      3,
    );

    sim.tradingError(trading, `access key verification failed for ${KEY_ID}`);
    const logged = await child.waitForLog((l) => l.msg === 'trade stream error');
    assert.equal(logged.error_class, 'alpaca_auth');
    assert.equal(logged.reason, 'alpaca_trade_updates_auth_error');
    assert.equal(logged.error_message, 'access key verification failed for PKFW****');
    // The production logger redacts `keyId`/`key_id`; the masked id has a field of its own.
    assert.equal(logged.masked_key_id, 'PKFW****');
    const body = await waitReadiness(
      base,
      (b) => b.gates.trade_updates === false,
      'trade_updates gate down after the error frame',
    );
    assert.equal(body.error_class, 'alpaca_auth');

    const output = child.stdout.join('\n') + child.stderr.join('');
    assert.ok(
      !output.includes('could not be decoded'),
      'a heartbeat or the error frame counted as malformed',
    );
    assert.equal(
      await metric(base, /^alpaca_forwarder_events_dropped_total\{channel="trade_updates",[^}]*\} (\d+)/m),
      0,
    );
    for (const secret of [SECRET, KEY_ID]) assert.ok(!output.includes(secret), 'secret in CLI output');
  });

  test('msgpack timestamps in the 32-bit and 64-bit forms reach Kafka exactly, nanoseconds included', async () => {
    // Compact timestamp widths: the simulator's default, as Alpaca's encoders.
    const { sim, topics } = await startCliStack(cleanup, kafka, { env: { ALPACA_WS_ENCODING: 'msgpack' } });
    const market = openConnection(sim, 'market');
    const mark = sim.log.mark();
    sim.push([
      sim.data.bar('AAPL', { t: '2026-01-05T15:00:00Z' }),
      sim.data.trade('MSFT', { t: '2026-01-05T15:00:01.000000001Z', i: 7 }),
    ]);
    const frame = await sim.log.waitFor(
      (e) => e.type === 'frame' && e.dir === 'out' && e.connId === market && e.binary,
      { since: mark },
    );
    assert.ok(frame);
    const [bar] = await readTopic(kafka, topics.bars, { count: 1 });
    const [trade] = await readTopic(kafka, topics.trades, { count: 1 });
    assert.equal(JSON.parse(bar?.value ?? '{}').event_ts, '2026-01-05T15:00:00Z');
    assert.equal(JSON.parse(trade?.value ?? '{}').event_ts, '2026-01-05T15:00:01.000000001Z');
  });

  test('a reconnect gap: its trades arrive from REST by default, a canceled one as a cancel, the live copy not doubled', async () => {
    const { sim, topics, base } = await startCliStack(cleanup, kafka, {
      sim: { lingerMs: 300 },
      env: {
        SYMBOLS: 'AAPL',
        // Gap fill with its defaults (trades on): only the master switch is set, as a user would.
        ENABLE_GAP_FILL: 'true',
        ALPACA_406_COOLDOWN_MS: '400',
      },
    });
    const iso = (ms: number) => new Date(ms).toISOString();
    sim.push([sim.data.trade('AAPL', { t: iso(Date.now()), i: 1, x: 'V' })]);
    await readTopic(kafka, topics.trades, { count: 1 });

    const mark = sim.log.mark();
    sim.drop(openConnection(sim, 'market'));
    // While the socket is down: a trade, and a trade that is canceled (REST flags it u:canceled).
    sim.record([
      sim.data.trade('AAPL', { t: iso(Date.now()), i: 2, x: 'V' }),
      sim.data.trade('AAPL', { t: iso(Date.now()), i: 3, x: 'V' }),
    ]);
    sim.record([sim.data.cancelError('AAPL', { i: 3, x: 'V', a: 'C', t: iso(Date.now()) })]);
    await sim.log.waitFor((e) => e.type === 'rest' && e.path.includes('/trades'), {
      since: mark,
      timeoutMs: 60_000,
    });
    await waitReadiness(base, (b) => b.ready, 'ready after reconnect');
    // A live marker after the fill: had the REST copy of trade 1 not been deduplicated, the
    // marker would not be among the first 4 records (one partition: the key is the symbol).
    sim.push([sim.data.trade('AAPL', { t: iso(Date.now()), i: 4, x: 'V' })]);
    const all = (await readTopic(kafka, topics.trades, { count: 4 })).map((r) => JSON.parse(r.value ?? '{}'));
    assert.deepEqual(
      all.map((e) => [e.source, e.payload.T, e.payload.i, e.payload.a ?? null]),
      [
        ['ws', 't', 1, null],
        ['rest', 't', 2, null],
        ['rest', 'x', 3, 'C'],
        ['ws', 't', 4, null],
      ],
    );
    assert.equal(all[2].payload.u, 'canceled');
    for (const e of all) assert.deepEqual(envelopeErrors(e), []);
  });
});
