import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { readHeaderDir } from '../../../../forwarder/config/header-files.ts';
import {
  createSymbolsPoller,
  type PollResult,
  parseSymbolsResponse,
} from '../../../../forwarder/config/symbols-source.ts';

test('symbolsFrom response shapes', () => {
  assert.deepEqual(parseSymbolsResponse(['aapl', 'MSFT', 'AAPL']), { ok: true, symbols: ['AAPL', 'MSFT'] });
  assert.deepEqual(parseSymbolsResponse({ symbols: [{ symbol: 'spy' }] }), { ok: true, symbols: ['SPY'] });
  assert.deepEqual(parseSymbolsResponse({ hot_symbols: ['QQQ'] }), { ok: true, symbols: ['QQQ'] });
  assert.deepEqual(parseSymbolsResponse([]), { ok: false, reason: 'empty_result' });
  assert.deepEqual(parseSymbolsResponse(['ok', 'not a symbol']), { ok: false, reason: 'invalid_symbol' });
  assert.deepEqual(parseSymbolsResponse('AAPL'), { ok: false, reason: 'not_a_symbol_list' });
  assert.deepEqual(parseSymbolsResponse(['A', 'B', 'C'], 2), { ok: false, reason: 'too_many_symbols' });
  assert.deepEqual(parseSymbolsResponse(['A', 'B'], 2), { ok: true, symbols: ['A', 'B'] });
  assert.deepEqual(parseSymbolsResponse(['AAPL', 'aapl$']), { ok: false, reason: 'invalid_symbol' });
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

/** A real HTTP server answering each GET with the next scripted answer; records request headers. */
async function scripted(answers: [number, string][]) {
  const requests: Record<string, string | string[] | undefined>[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    const [status, body] = answers.shift() ?? [200, '["LAST"]'];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/symbols`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('poller: oversized, too long, non-JSON and invalid answers keep the last good list, each reported by reason', async () => {
  const big = JSON.stringify(Array.from({ length: 400 }, (_, i) => `S${i}`));
  const srv = await scripted([
    [200, '["AAPL","MSFT"]'],
    [200, big],
    [200, '["A","B","C","D"]'],
    [200, '{"symbols": ['],
    [200, '["AAPL","not a symbol"]'],
    [503, 'busy'],
    [200, '["NVDA"]'],
  ]);
  const got: string[][] = [];
  const results: PollResult[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const poller = createSymbolsPoller({
    url: srv.url,
    intervalMs: 1,
    logger: pino({ level: 'silent' }),
    maxBytes: 1024,
    maxSymbols: 3,
    onSymbols: (s) => got.push(s),
    onResult: (r) => {
      results.push(r);
      if (results.length === 7) done();
    },
  });
  await poller.start();
  await finished;
  poller.stop();
  await srv.close();
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.reason)),
    ['ok', 'too_large', 'too_many_symbols', 'not_json', 'invalid_symbol', 'http_503', 'ok'],
  );
  assert.deepEqual(got, [['AAPL', 'MSFT'], ['NVDA']], 'no bad answer reached the subscription');
  const status = poller.status();
  assert.equal(status.last_result, 'ok');
  assert.equal(status.consecutive_failures, 0);
  assert.equal(status.symbols, 1);
  assert.ok(status.last_success_at !== null);
});

test('poller: status counts consecutive failures and keeps the last success time', async () => {
  const srv = await scripted([
    [200, '["AAPL"]'],
    [500, 'x'],
    [500, 'x'],
  ]);
  const results: PollResult[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  let t = 1_000_000;
  const poller = createSymbolsPoller({
    url: srv.url,
    intervalMs: 1,
    logger: pino({ level: 'silent' }),
    now: () => (t += 1000),
    onSymbols: () => {},
    onResult: (r) => {
      results.push(r);
      if (results.length === 3) done();
    },
  });
  await poller.start();
  await finished;
  poller.stop();
  await srv.close();
  const status = poller.status();
  assert.equal(status.last_result, 'http_500');
  assert.equal(status.consecutive_failures, 2);
  assert.equal(status.last_success_at, new Date(1_001_000).toISOString());
  assert.equal(status.symbols, 1);
});

test('poller sends the headers of a mounted Secret directory, re-read for every poll; a bad file keeps the list', async () => {
  // The layout of a Kubernetes Secret volume: ..data → a timestamped directory, one symlink per key.
  const dir = await mkdtemp(join(tmpdir(), 'symbols-headers-'));
  const data = join(dir, '..2026_12_03_17_00_00.000000001');
  await mkdir(data);
  await writeFile(join(data, 'Authorization'), 'Bearer tok-0001\n');
  await writeFile(join(data, 'X-Tenant'), 'core');
  await symlink(data, join(dir, '..data'));
  await symlink(join('..data', 'Authorization'), join(dir, 'Authorization'));
  await symlink(join('..data', 'X-Tenant'), join(dir, 'X-Tenant'));
  assert.deepEqual(await readHeaderDir(dir), { Authorization: 'Bearer tok-0001', 'X-Tenant': 'core' });

  const srv = await scripted([
    [200, '["AAPL"]'],
    [200, '["MSFT"]'],
    [200, '["TSLA"]'],
  ]);
  const got: string[][] = [];
  const results: PollResult[] = [];
  const waiters: [number, () => void][] = [];
  const reached = (n: number) => new Promise<void>((r) => waiters.push([n, r]));
  const poller = createSymbolsPoller({
    url: srv.url,
    intervalMs: 1,
    logger: pino({ level: 'silent' }),
    headers: () => readHeaderDir(dir),
    onSymbols: (s) => got.push(s),
    onResult: (r) => {
      results.push(r);
      for (const [n, wake] of waiters) if (results.length === n) wake();
    },
  });
  const second = reached(2);
  await poller.start();
  assert.equal(srv.requests[0]?.authorization, 'Bearer tok-0001');
  assert.equal(srv.requests[0]?.['x-tenant'], 'core');
  // A rotated Secret: the next poll sends the new value.
  await writeFile(join(data, 'Authorization'), 'Bearer tok-0002\n');
  await second;
  assert.equal(srv.requests[1]?.authorization, 'Bearer tok-0002');
  // A value with a line break (header injection) is refused before any request is made.
  const third = reached(3);
  await writeFile(join(data, 'Authorization'), 'Bearer x\r\nX-Evil: 1');
  await third;
  poller.stop();
  await srv.close();
  await rm(dir, { recursive: true });
  const last = results[2];
  assert.ok(last && !last.ok && last.reason === 'headers_unreadable');
  assert.equal(srv.requests.length, 2);
  assert.deepEqual(got, [['AAPL'], ['MSFT']]);
});
