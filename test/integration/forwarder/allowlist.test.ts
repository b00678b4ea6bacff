/**
 * torghut-ws' SYMBOLS_ALLOWLIST with a remote symbol source (JANGAR_SYMBOLS_URL): only the
 * allowed symbols of the answer are subscribed on Alpaca.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { cleanupAfterAll, startForwarderStack } from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

test('SYMBOLS_ALLOWLIST filters the symbolsFrom answer: only allowed symbols are subscribed', async () => {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ symbols: ['AAPL', 'MSFT', 'TSLA', 'NVDA'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => server.close(r)));
  const f = await startForwarderStack(cleanup, kafka, {
    env: {
      SYMBOLS: '',
      JANGAR_SYMBOLS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/symbols`,
      SYMBOLS_ALLOWLIST: 'TSLA,AAPL,SPY',
      ALPACA_MARKET_DATA_CHANNELS: 'trades',
    },
  });
  const { sim } = f;
  const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
  assert.ok(conn);
  assert.deepEqual([...(sim.log.subscriptionsOf(conn.id)?.trades ?? [])].sort(), ['AAPL', 'TSLA']);
  assert.match(f.log.text(), /symbols outside the allowlist are left out/);
});
