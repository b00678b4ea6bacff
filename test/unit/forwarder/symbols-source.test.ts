import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import { createSymbolsPoller, parseSymbolsResponse } from '../../../forwarder/config/symbols-source.ts';

test('symbolsFrom response shapes', () => {
  assert.deepEqual(parseSymbolsResponse(['aapl', 'MSFT', 'AAPL']), { ok: true, symbols: ['AAPL', 'MSFT'] });
  assert.deepEqual(parseSymbolsResponse({ symbols: [{ symbol: 'spy' }] }), { ok: true, symbols: ['SPY'] });
  assert.deepEqual(parseSymbolsResponse({ hot_symbols: ['QQQ'] }), { ok: true, symbols: ['QQQ'] });
  assert.deepEqual(parseSymbolsResponse([]), { ok: false, reason: 'empty_result' });
  assert.deepEqual(parseSymbolsResponse(['ok', 'not a symbol']), { ok: false, reason: 'invalid_symbol' });
  assert.deepEqual(parseSymbolsResponse('AAPL'), { ok: false, reason: 'not_a_symbol_list' });
});

test('poller: applies a good answer, keeps the last known list on errors and bad answers', async () => {
  const answers: [number, string][] = [
    [200, '["AAPL","MSFT"]'],
    [500, 'boom'],
    [200, '[]'],
    [200, '{"symbols":["NVDA"]}'],
  ];
  const server = createServer((_req, res) => {
    const [status, body] = answers.shift() ?? [200, '{"symbols":["NVDA"]}'];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/symbols`;
  const got: string[][] = [];
  let wake: () => void = () => {};
  const second = new Promise<void>((r) => {
    wake = r;
  });
  const poller = createSymbolsPoller({
    url,
    intervalMs: 10,
    logger: pino({ level: 'silent' }),
    onSymbols: (s) => {
      got.push(s);
      if (got.length === 2) wake();
    },
  });
  await poller.start();
  assert.deepEqual(got, [['AAPL', 'MSFT']]);
  await second;
  poller.stop();
  server.close();
  assert.deepEqual(got, [['AAPL', 'MSFT'], ['NVDA']], 'the 500 and the empty answer changed nothing');
});
