import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { decodeTradeStreamMessage } from '../../../../forwarder/alpaca/trade-update-decode.ts';
import {
  createTradeUpdatesStream,
  tradeUpdatesUrl,
} from '../../../../forwarder/alpaca/trade-updates-stream.ts';
import type { AlpacaEvent, StreamGap, StreamState } from '../../../../forwarder/alpaca/types.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { createRecorder } from '../../../support/recorder.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

const servers: WebSocketServer[] = [];
after(async () => {
  for (const s of servers) {
    for (const c of s.clients) c.terminate();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const fill = {
  stream: 'trade_updates',
  data: {
    event: 'fill',
    execution_id: 'e1',
    timestamp: '2026-01-05T15:00:00.123456789Z',
    price: '105.89',
    qty: '1790.86',
    position_qty: '0',
    order: { id: 'o1', symbol: 'aapl', qty: '1790.86', filled_avg_price: '105.89' },
  },
};

async function tradingServer(authorized: boolean) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received = createRecorder<{ path: string; msg: Record<string, unknown> }>();
  const sockets = createRecorder<WebSocket>();
  wss.on('connection', (ws, req) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      received.push({ path: req.url ?? '', msg });
      const send = (m: unknown) => ws.send(Buffer.from(JSON.stringify(m)), { binary: true });
      if (msg.action === 'auth') {
        send({
          stream: 'authorization',
          data: { status: authorized ? 'authorized' : 'unauthorized', action: 'authenticate' },
        });
      } else if (msg.action === 'listen') {
        send({ stream: 'listening', data: { streams: ['trade_updates'] } });
        send(fill);
        ws.send(JSON.stringify({ stream: 'weird', data: {} }));
      }
    });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, received, sockets };
}

test('trade updates: auth (message form) → listen → healthy; binary JSON frames; decimals stay strings', async () => {
  const srv = await tradingServer(true);
  const states = createRecorder<StreamState>();
  const events = createRecorder<AlpacaEvent>();
  const issues = createRecorder<{ type: string | null }>();
  const s = createTradeUpdatesStream(
    { tradeStreamUrl: srv.url, credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' } },
    {
      logger: silentLogger,
      clock: createManualClock(),
      onState: (x) => states.push(x),
      onEvents: (b) => {
        for (const e of b) events.push(e);
      },
      onDecodeIssue: (i) => issues.push(i),
    },
  );
  s.start();
  const auth = await srv.received.waitFor((r) => r.msg.action === 'auth');
  assert.equal(auth.path, '/stream');
  assert.deepEqual(auth.msg, { action: 'auth', key: 'PKTEST', secret: 'SKTEST' });
  const listen = await srv.received.waitFor((r) => r.msg.action === 'listen');
  assert.deepEqual(listen.msg, { action: 'listen', data: { streams: ['trade_updates'] } });
  const healthy = await states.waitFor((x) => x.status === 'healthy');
  assert.equal(healthy.stream, 'trade_updates');
  const e = await events.waitFor(() => true);
  assert.equal(e.channel, 'trade_updates');
  assert.equal(e.symbol, 'AAPL');
  assert.equal(e.eventTs, '2026-01-05T15:00:00.123456789Z');
  assert.equal(e.payload.price, '105.89');
  assert.equal(e.payload.qty, '1790.86');
  assert.equal((await issues.waitFor((i) => i.type === 'weird')).type, 'weird');
  const ws = await srv.sockets.waitFor(() => true);
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await s.stop();
  assert.equal(await closed, 1000);
});

test('trade updates: unauthorized → alpaca_auth error with the long wait', async () => {
  const srv = await tradingServer(false);
  const states = createRecorder<StreamState>();
  const s = createTradeUpdatesStream(
    {
      tradeStreamUrl: `${srv.url}/stream`,
      credentials: { keyId: 'PKTEST', secretKey: 'bad' },
      reconnect: { permanentRetryMs: 120_000 },
    },
    { logger: silentLogger, clock: createManualClock(), onState: (x) => states.push(x), onEvents: () => {} },
  );
  s.start();
  const err = await states.waitFor((x) => x.status === 'error');
  assert.equal(err.errorClass, 'alpaca_auth');
  assert.equal(err.reason, 'alpaca_trade_updates_unauthorized');
  assert.equal(err.nextAttemptAtMs, err.atMs + 120_000);
  await s.stop();
});

test('trade update decode: url, malformed, unknown, fallback symbol', () => {
  assert.equal(tradeUpdatesUrl('wss://paper-api.alpaca.markets/'), 'wss://paper-api.alpaca.markets/stream');
  assert.equal(tradeUpdatesUrl('wss://x/stream'), 'wss://x/stream');
  assert.deepEqual(decodeTradeStreamMessage([], 0), {
    kind: 'malformed',
    type: null,
    reason: 'not_an_object',
  });
  assert.equal(
    decodeTradeStreamMessage({ stream: 'trade_updates', data: { order: {} } }, 0).kind,
    'malformed',
  );
  const noSym = decodeTradeStreamMessage(
    { stream: 'trade_updates', data: { event: 'new', order: { id: 'x' } } },
    0,
  );
  assert.ok(noSym.kind === 'event' && noSym.symbolMissing && noSym.event.symbol === 'UNKNOWN');
});

test('trade updates: a reconnect reports the gap from the last update to the new listen (Alpaca does not replay)', async () => {
  const srv = await tradingServer(true);
  const clock = createManualClock();
  const t0 = clock.now();
  const states = createRecorder<StreamState>();
  const events = createRecorder<AlpacaEvent>();
  const gaps = createRecorder<StreamGap>();
  const s = createTradeUpdatesStream(
    { tradeStreamUrl: srv.url, credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' } },
    {
      logger: silentLogger,
      clock,
      random: () => 0,
      onState: (x) => states.push(x),
      onEvents: (b) => {
        for (const e of b) events.push(e);
      },
      onGap: (g) => gaps.push(g),
    },
  );
  s.start();
  await events.waitFor(() => true);
  const first = await srv.sockets.waitFor(() => true);
  clock.advance(1_000);
  first.terminate();
  await states.waitFor((x) => x.status === 'reconnect');
  const due = clock.nextDueAt();
  assert.ok(due !== null, 'a reconnect is scheduled');
  clock.advance(due - clock.now());
  await srv.sockets.waitFor((ws) => ws !== first);
  const readyAt = clock.now();
  await states.waitFor((x) => x.status === 'healthy' && x.atMs === readyAt);
  assert.deepEqual(await gaps.waitFor(() => true), { fromMs: t0, toMs: readyAt });
  await s.stop();
});
