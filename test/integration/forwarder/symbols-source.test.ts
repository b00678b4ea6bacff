/**
 * The remote symbol source through the real forwarder: the live symbol count in /readyz, a bad
 * answer (bad syntax, too many symbols) keeps the last good list, is reported (metric, /readyz
 * detail.symbols_source) and never reaches Alpaca (no 400/405 from the simulator).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  startInProcess,
  startSim,
  waitReadiness,
} from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

test('symbolsFrom: live count in /readyz; bad answers keep the last good list, are counted and never sent to Alpaca', async () => {
  const tooMany = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => `S${i}`));
  const answers = ['["AAPL","MSFT","TSLA"]', '["AAPL","not a symbol"]', tooMany];
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(answers.length > 1 ? answers.shift() : answers[0]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => server.close(r)));
  // The simulator's account has the free plan's 30-symbol cap: the 10,001-symbol answer would be
  // a 405 if it reached Alpaca, the bad one a 400.
  const sim = await startSim(cleanup);
  const topics = await freshTopics(kafka);
  const f = await startInProcess(
    forwarderEnv(sim, kafka, topics, {
      SYMBOLS: 'SPY',
      JANGAR_SYMBOLS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/symbols`,
      SYMBOLS_POLL_INTERVAL_MS: '1000',
      ALPACA_MARKET_DATA_CHANNELS: 'trades',
    }),
  );
  cleanup.push(() => f.running.stop('test'));
  const ready = await waitReadiness(f.base, (b) => b.ready, 'ready');
  assert.equal(ready.symbol_count, 3);

  const refused = await waitReadiness(
    f.base,
    (b) =>
      (b.detail.symbols_source as { last_result?: string } | undefined)?.last_result === 'too_many_symbols',
    'the oversized answer refused',
  );
  const source = refused.detail.symbols_source as Record<string, unknown>;
  assert.equal(source.consecutive_failures, 2);
  assert.equal(source.symbols, 3);
  assert.equal(typeof source.last_success_age_ms, 'number');
  assert.equal(refused.ready, true, 'a bad answer does not make the forwarder unready');
  assert.equal(refused.symbol_count, 3, 'the last good list stays');

  const metrics = await (await fetch(`${f.base}/metrics`)).text();
  assert.match(metrics, /alpaca_forwarder_symbols_source_fetches_total\{result="ok"\} 1\n/);
  assert.match(metrics, /alpaca_forwarder_symbols_source_fetches_total\{result="invalid_symbol"\} 1\n/);
  assert.match(metrics, /alpaca_forwarder_symbols_source_fetches_total\{result="too_many_symbols"\} [1-9]/);
  assert.match(metrics, /alpaca_forwarder_symbols_source_symbols 3\n/);

  const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
  assert.ok(conn);
  assert.deepEqual([...(sim.log.subscriptionsOf(conn.id)?.trades ?? [])].sort(), ['AAPL', 'MSFT', 'TSLA']);
  const errorsOut = sim.log.events.filter(
    (e) =>
      e.type === 'frame' &&
      e.dir === 'out' &&
      (e.messages ?? []).some((m) => (m as { T?: string }).T === 'error'),
  );
  assert.deepEqual(errorsOut, [], 'Alpaca never saw a bad list');
});
