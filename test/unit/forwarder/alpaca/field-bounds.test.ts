import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DecodeIssue } from '../../../../forwarder/alpaca/decode-issues.ts';
import { checkMarketDataBounds, FIELD_BOUNDS } from '../../../../forwarder/alpaca/field-bounds.ts';
import { decodeMessage } from '../../../../forwarder/alpaca/message-decode.ts';
import {
  AlpacaRestError,
  createRestClient,
  type FetchLike,
} from '../../../../forwarder/alpaca/rest-client.ts';
import { decodeTradeStreamMessage } from '../../../../forwarder/alpaca/trade-update-decode.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

const opts = { receivedAtMs: 0 };
// Alpaca's documented examples (stocks stream reference).
const REAL = [
  {
    T: 't',
    S: 'AAPL',
    i: 96921,
    x: 'D',
    p: 126.55,
    s: 1,
    c: ['@', 'I'],
    z: 'C',
    t: '2021-02-22T15:51:44.208Z',
  },
  {
    T: 'q',
    S: 'AMD',
    bx: 'U',
    bp: 87.66,
    bs: 1,
    ax: 'Q',
    ap: 87.68,
    as: 4,
    c: ['R'],
    z: 'C',
    t: '2021-02-22T15:51:45.335689322Z',
  },
  {
    T: 'b',
    S: 'SPY',
    o: 388.985,
    h: 389.13,
    l: 388.975,
    c: 389.12,
    v: 49378,
    n: 461,
    vw: 389.062639,
    t: '2021-02-22T19:15:00Z',
  },
  {
    T: 'c',
    S: 'EEM',
    x: 'M',
    oi: 52983525033527,
    op: 39.1582,
    os: 440000,
    oc: [' ', '7'],
    ci: 52983525034326,
    cp: 39.1809,
    cs: 440000,
    cc: [' ', '7'],
    z: 'B',
    t: '2023-04-06T14:25:06.542305024Z',
  },
  {
    T: 'x',
    S: 'GOOGL',
    i: 465,
    x: 'D',
    p: 105.31,
    s: 300,
    a: 'C',
    z: 'C',
    t: '2023-04-06T13:15:42.83540958Z',
  },
  { T: 'l', S: 'IONM', u: 3.24, d: 2.65, i: 'B', t: '2023-04-06T13:34:45.565004401Z', z: 'C' },
  {
    T: 's',
    S: 'AAPL',
    sc: 'H',
    sm: 'Trading Halt',
    rc: 'T12',
    rm: 'Trading Halted; For information requested by NASDAQ',
    t: '2021-02-22T19:15:00Z',
    z: 'C',
  },
];

test("Alpaca's documented messages are within every bound", () => {
  for (const m of REAL) {
    assert.equal(checkMarketDataBounds(m), null, m.T);
    assert.equal(decodeMessage(m, opts).kind, 'event', m.T);
  }
});

test('a message with a field past its bound is malformed with a bounded reason, before any other work', () => {
  const trade = REAL[0] as Record<string, unknown>;
  const cases: [Record<string, unknown>, string][] = [
    [{ ...trade, S: 'A'.repeat(262_144) }, 'oversized_symbol'],
    [{ ...trade, S: 'A'.repeat(FIELD_BOUNDS.symbolChars + 1) }, 'oversized_symbol'],
    [{ ...trade, x: 'EXCHANGE-CODE' }, 'oversized_field'],
    [{ ...trade, t: `2021-02-22T15:51:44.${'1'.repeat(100)}Z` }, 'oversized_field'],
    [{ ...trade, c: Array.from({ length: 17 }, () => '@') }, 'oversized_conditions'],
    [{ ...trade, c: ['@', 'x'.repeat(1 << 20)] }, 'oversized_conditions'],
    [{ ...trade, extra: 'y'.repeat(257) }, 'oversized_field'],
    [{ ...trade, extra: [[[[[[1]]]]]] }, 'too_deeply_nested'],
    [{ ...trade, extra: Array.from({ length: 3_000 }, (_, i) => i) }, 'too_many_values'],
    [
      { ...trade, ...Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])) },
      'too_many_keys',
    ],
    [{ ...trade, ['k'.repeat(100)]: 1 }, 'oversized_key'],
  ];
  for (const [msg, reason] of cases) {
    const d = decodeMessage(msg, opts);
    assert.deepEqual(d, { kind: 'malformed', type: 't', reason }, reason);
  }
  assert.deepEqual(decodeMessage({ T: 'T'.repeat(1 << 20), S: 'AAPL' }, opts), {
    kind: 'malformed',
    type: null,
    reason: 'oversized_type',
  });
});

test('trade updates: documented shape passes; oversized symbol, client order id and deep nesting do not', () => {
  const data = {
    event: 'fill',
    execution_id: '2f63ea93-423d-4169-b3f6-3fdafc10c418',
    timestamp: '2022-04-19T17:45:05.024916716Z',
    price: '105.89',
    qty: '1790.86',
    position_qty: '0',
    order: {
      id: 'a5be8f5e-3c2f-4b4c-9d5a-3f1d0c1b2a11',
      client_order_id: '4642fd68-d59a-47d7-a9ac-e22f536828d1',
      symbol: 'SOLUSD',
      side: 'sell',
      type: 'market',
      qty: '1790.86',
      filled_qty: '1790.86',
      filled_avg_price: '105.89',
      status: 'filled',
      legs: [{ id: 'b5be8f5e-3c2f-4b4c-9d5a-3f1d0c1b2a11', symbol: 'SOLUSD', legs: null }],
    },
  };
  assert.equal(decodeTradeStreamMessage({ stream: 'trade_updates', data }, 0).kind, 'event');
  const bad: [unknown, string][] = [
    [{ ...data, order: { ...data.order, symbol: 'S'.repeat(262_144) } }, 'oversized_symbol'],
    [{ ...data, order: { ...data.order, client_order_id: 'c'.repeat(129) } }, 'oversized_field'],
    [
      { ...data, order: { ...data.order, legs: [{ legs: [{ legs: [{ legs: [] }] }] }] } },
      'too_deeply_nested',
    ],
  ];
  for (const [d, reason] of bad) {
    assert.deepEqual(decodeTradeStreamMessage({ stream: 'trade_updates', data: d }, 0), {
      kind: 'malformed',
      type: 'trade_updates',
      reason,
    });
  }
  assert.equal(decodeTradeStreamMessage({ stream: 's'.repeat(100), data: {} }, 0).kind, 'malformed');
});

function restClient(fetch: FetchLike, issues: DecodeIssue[], maxPageBytes?: number) {
  return createRestClient(
    {
      dataUrl: 'https://data.example',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      feed: 'iex',
      maxRetries: 0,
      ...(maxPageBytes ? { maxPageBytes } : {}),
    },
    {
      logger: silentLogger,
      fetch,
      clock: createManualClock(),
      random: () => 0,
      onDecodeIssue: (i) => issues.push(i),
    },
  );
}
const bar = (t: string) => ({ t, o: 1, h: 2, l: 0.5, c: 1, v: 10, n: 2, vw: 1.1 });
const q = { symbols: ['AAPL'], start: '2026-01-05T15:00:00Z', end: '2026-01-05T16:00:00Z' };

test('REST: mistyped items and items with an oversized symbol key or field are dropped and reported; the rest is kept', async () => {
  const issues: DecodeIssue[] = [];
  const body = {
    bars: {
      AAPL: [
        bar('2026-01-05T15:00:00Z'),
        { ...bar('2026-01-05T15:01:00Z'), x: 'z'.repeat(10_000) },
        { ...bar('2026-01-05T15:02:00Z'), o: 'mistyped' },
        { ...bar('2026-01-05T15:03:00Z'), t: 12 },
      ],
      ['B'.repeat(100_000)]: [bar('2026-01-05T15:00:00Z')],
    },
    next_page_token: null,
  };
  const fetch: FetchLike = async () => new Response(JSON.stringify(body), { status: 200 });
  const events = await restClient(fetch, issues).getBars(q);
  assert.deepEqual(
    events.map((e) => [e.symbol, e.eventTs]),
    [['AAPL', '2026-01-05T15:00:00Z']],
  );
  assert.deepEqual(issues.map((i) => i.reason).sort(), [
    'rest_invalid_bar_field_o',
    'rest_missing_timestamp',
    'rest_oversized_field',
    'rest_oversized_symbol',
  ]);
});

test('REST: a response past the page bound is refused with a stable reason, whether declared or streamed', async () => {
  const big = JSON.stringify({ bars: { AAPL: [] }, pad: 'p'.repeat(50_000), next_page_token: null });
  for (const declared of [true, false]) {
    const fetch: FetchLike = async () => {
      const stream = new ReadableStream({
        start(c) {
          for (let i = 0; i < big.length; i += 4096)
            c.enqueue(new TextEncoder().encode(big.slice(i, i + 4096)));
          c.close();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: declared ? { 'content-length': String(big.length) } : {},
      });
    };
    await assert.rejects(restClient(fetch, [], 10_000).getBars(q), (err: unknown) => {
      assert.ok(err instanceof AlpacaRestError);
      assert.equal(err.reason, 'alpaca_rest_page_too_large');
      return true;
    });
  }
});
