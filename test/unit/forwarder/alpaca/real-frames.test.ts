/**
 * The frame forms Alpaca really sends (issue 12, "Real Alpaca frames"), decoded by the pure
 * functions: the trading stream's error frame, REST trades flagged canceled/incorrect, daily-bar
 * windows, compact msgpack timestamps, trade updates without `timestamp`/`at`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExtensionCodec, encode } from '@msgpack/msgpack';
import { gapRequests } from '../../../../forwarder/alpaca/backfill.ts';
import { classifyTradeStreamError } from '../../../../forwarder/alpaca/error-classification.ts';
import { decodeFrame } from '../../../../forwarder/alpaca/frame-decode.ts';
import { decodeMessage } from '../../../../forwarder/alpaca/message-decode.ts';
import { restPayload } from '../../../../forwarder/alpaca/rest-client.ts';
import { loggableAlpacaText } from '../../../../forwarder/alpaca/secrets.ts';
import { toUtcRfc3339 } from '../../../../forwarder/alpaca/timestamp.ts';
import { decodeTradeStreamMessage } from '../../../../forwarder/alpaca/trade-update-decode.ts';
import type { AlpacaEvent } from '../../../../forwarder/alpaca/types.ts';
import { readEnv } from '../../../../forwarder/config/env.ts';
import { resolveConfig } from '../../../../forwarder/config/resolve.ts';
import { subscriptionsFor } from '../../../../forwarder/config/subscriptions.ts';
import { dedupKey } from '../../../../forwarder/pipeline/dedup-key.ts';
import { buildEnvelope } from '../../../../forwarder/pipeline/envelope.ts';
import { envelopeErrors } from '../../../support/envelope-schema.ts';
import { baseEnv } from '../../../support/forwarder-env.ts';

const CREDS = { keyId: 'PKREALFRAMES0001', secretKey: 'sk-real-frames-secret-0001' };

describe('trading stream error frame', () => {
  test('{"action":"error","data":{"error_message"}} is an error, not a malformed message', () => {
    const m = decodeTradeStreamMessage(
      { action: 'error', data: { error_message: 'access key verification failed' } },
      0,
    );
    assert.deepEqual(m, { kind: 'error', message: 'access key verification failed' });
  });

  test('classified by its text: credentials → alpaca_auth, connection limit → 406 class, else unknown', () => {
    assert.deepEqual(classifyTradeStreamError('access key verification failed'), {
      errorClass: 'alpaca_auth',
      reason: 'alpaca_trade_updates_auth_error',
      retry: 'permanent',
    });
    assert.equal(classifyTradeStreamError('unauthorized').errorClass, 'alpaca_auth');
    assert.equal(
      classifyTradeStreamError('connection limit exceeded').errorClass,
      'alpaca_406_second_connection',
    );
    assert.deepEqual(classifyTradeStreamError('internal error'), {
      errorClass: 'unknown',
      reason: 'alpaca_trade_updates_error',
      retry: 'transient',
    });
  });

  test('the logged text never holds the credentials, control characters or more than 200 chars', () => {
    const text = loggableAlpacaText(
      `bad key ${CREDS.keyId} secret ${CREDS.secretKey}\n\u0007${'x'.repeat(300)}`,
      CREDS,
    );
    assert.ok(!text.includes(CREDS.secretKey) && !text.includes(CREDS.keyId), text);
    assert.ok(text.startsWith('bad key PKRE**** secret [redacted]  '), text);
    assert.ok(text.length <= 201);
  });
});

describe('trade updates event_ts', () => {
  const order = { id: 'o1', symbol: 'AAPL' };
  const eventOf = (data: Record<string, unknown>): AlpacaEvent => {
    const m = decodeTradeStreamMessage({ stream: 'trade_updates', data }, Date.UTC(2026, 0, 5, 15, 0, 1));
    assert.equal(m.kind, 'event');
    return (m as { event: AlpacaEvent }).event;
  };

  test('without timestamp/at: the order time converted to UTC, nanoseconds kept', () => {
    const e = eventOf({
      event: 'new',
      order: { ...order, updated_at: '2026-01-05T10:00:00.123456789-05:00' },
    });
    assert.equal(e.eventTs, '2026-01-05T15:00:00.123456789Z');
  });

  test('timestamp with an offset is UTC too; no time at all → the receive time (UTC)', () => {
    assert.equal(
      eventOf({ event: 'fill', timestamp: '2026-07-01T11:30:00.5-04:00', order }).eventTs,
      '2026-07-01T15:30:00.5Z',
    );
    assert.equal(eventOf({ event: 'new', order }).eventTs, '2026-01-05T15:00:01.000Z');
    assert.equal(
      eventOf({ event: 'new', at: '2026-01-05T15:00:00Z', order }).eventTs,
      '2026-01-05T15:00:00Z',
    );
  });

  test('toUtcRfc3339 keeps the instant and every fraction digit', () => {
    assert.equal(toUtcRfc3339('2026-03-08T01:59:59.000000001-05:00'), '2026-03-08T06:59:59.000000001Z');
    assert.equal(toUtcRfc3339('2026-01-05T15:00:00+00:00'), '2026-01-05T15:00:00Z');
    assert.equal(toUtcRfc3339('yesterday'), null);
  });
});

describe('REST trades flagged canceled/incorrect', () => {
  const item = { t: '2026-01-05T15:00:00.5Z', x: 'V', p: 100.5, s: 10, c: ['@'], i: 42, z: 'C' };

  test('canceled → the stream cancel message (x, a:C), incorrect → x with a:E, corrected → a trade', () => {
    assert.deepEqual(restPayload('trades', 'AAPL', { ...item, u: 'canceled' }), {
      T: 'x',
      S: 'AAPL',
      ...item,
      u: 'canceled',
      a: 'C',
    });
    assert.equal(restPayload('trades', 'AAPL', { ...item, u: 'incorrect' }).a, 'E');
    assert.equal(restPayload('trades', 'AAPL', { ...item, u: 'corrected' }).T, 't');
    assert.equal(restPayload('trades', 'AAPL', item).T, 't');
    assert.equal(restPayload('bars', 'AAPL', { t: item.t, u: 'canceled' }).T, 'b');
  });

  test('its dedup key is the one the stream cancel of that trade gets (no REST+WS doubling)', () => {
    const rest: AlpacaEvent = {
      channel: 'trades',
      symbol: 'AAPL',
      payload: restPayload('trades', 'AAPL', { ...item, u: 'canceled' }),
      eventTs: item.t,
      receivedAtMs: 0,
      source: 'rest',
    };
    const ws = decodeMessage(
      { T: 'x', S: 'AAPL', i: 42, x: 'V', p: 100.5, s: 10, a: 'C', z: 'C', t: '2026-01-05T15:00:07Z' },
      { receivedAtMs: 0 },
    );
    assert.equal(ws.kind, 'event');
    assert.equal(dedupKey(rest), dedupKey((ws as { event: AlpacaEvent }).event));
    const trade = { ...rest, payload: restPayload('trades', 'AAPL', item) };
    assert.notEqual(dedupKey(rest), dedupKey(trade), 'the cancel is not dropped as a replay of the trade');
  });
});

describe('bar windows', () => {
  const bar = (T: string, t: string): AlpacaEvent => ({
    channel: 'bars',
    symbol: 'SPY',
    payload: { T, S: 'SPY', o: 1, h: 1, l: 1, c: 1, v: 1, t },
    eventTs: t,
    receivedAtMs: 0,
    source: 'ws',
  });
  const env = (e: AlpacaEvent) => buildEnvelope(e, { feed: 'iex', seq: 1, dedupKey: 'k', ingestMicros: 0 });

  test('a daily bar gets a New York day, not a minute (23 h on the spring change)', () => {
    const d = env(bar('d', '2026-03-08T05:00:00Z'));
    assert.deepEqual(d.window, {
      size: '1d',
      start: '2026-03-08T05:00:00Z',
      end: '2026-03-09T04:00:00.000Z',
    });
    assert.deepEqual(envelopeErrors(d), []);
    assert.equal(env(bar('d', '2026-07-01T04:00:00Z')).window?.end, '2026-07-02T04:00:00.000Z');
  });

  test('a minute bar keeps its minute', () => {
    assert.deepEqual(env(bar('b', '2026-01-05T15:00:00Z')).window, {
      size: '1m',
      start: '2026-01-05T15:00:00Z',
      end: '2026-01-05T15:01:00.000Z',
    });
  });
});

describe('msgpack timestamps in the compact forms', () => {
  const frameWith = () => {
    const codec = new ExtensionCodec();
    codec.register({
      type: -1,
      encode: (v: unknown) => (v instanceof Uint8Array ? v : null),
      decode: (d: Uint8Array) => d,
    });
    return (t: Uint8Array) =>
      encode([{ T: 'b', S: 'SPY', t, o: 1, h: 1, l: 1, c: 1, v: 1 }], { extensionCodec: codec });
  };

  test('32-bit (whole seconds) and 64-bit (nanoseconds) decode exactly', () => {
    const sec = Date.UTC(2026, 0, 5, 15, 0, 0) / 1000;
    const b32 = new Uint8Array(4);
    new DataView(b32.buffer).setUint32(0, sec);
    const nsec = 123_456_789;
    const b64 = new Uint8Array(8);
    new DataView(b64.buffer).setUint32(0, nsec * 4 + Math.floor(sec / 2 ** 32));
    new DataView(b64.buffer).setUint32(4, sec >>> 0);
    const frame = frameWith();
    const t32 = decodeFrame(frame(b32), true, 'msgpack');
    const t64 = decodeFrame(frame(b64), true, 'msgpack');
    assert.ok(t32.ok && t64.ok);
    assert.equal((t32.messages[0] as { t: string }).t, '2026-01-05T15:00:00Z');
    assert.equal((t64.messages[0] as { t: string }).t, '2026-01-05T15:00:00.123456789Z');
  });
});

describe('REST and WebSocket copies share a dedup key', () => {
  test('a quote from /v2/stocks/quotes and the same quote from the stream (msgpack time spelling)', () => {
    const fields = { bx: 'V', bp: 187.1, bs: 2, ax: 'V', ap: 187.2, as: 3, c: ['R'], z: 'C' };
    const rest: AlpacaEvent = {
      channel: 'quotes',
      symbol: 'AAPL',
      payload: restPayload('quotes', 'AAPL', { t: '2026-01-05T15:00:00.5Z', ...fields }),
      eventTs: '2026-01-05T15:00:00.5Z',
      receivedAtMs: 0,
      source: 'rest',
    };
    const ws = decodeMessage(
      { T: 'q', S: 'AAPL', ...fields, t: '2026-01-05T15:00:00.500000000Z' },
      { receivedAtMs: 0 },
    );
    assert.equal(ws.kind, 'event');
    assert.equal(dedupKey(rest), dedupKey((ws as { event: AlpacaEvent }).event));
  });
});

describe('gap fill defaults', () => {
  test('trades are gap-filled by default, quotes only when switched on', () => {
    const subs = (extra: Record<string, string>) => {
      const { config } = resolveConfig(readEnv(baseEnv(extra)), null);
      return gapRequests(subscriptionsFor(config), config.backfill.gapFill).map((r) => r.kind);
    };
    assert.deepEqual(subs({}), ['bars', 'trades']);
    assert.deepEqual(subs({ ENABLE_QUOTES_GAP_FILL: 'true' }), ['bars', 'trades', 'quotes']);
    assert.deepEqual(subs({ ENABLE_TRADES_GAP_FILL: 'false' }), ['bars']);
  });
});
