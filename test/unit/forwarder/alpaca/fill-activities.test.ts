import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  activitiesQuery,
  activityToTradeUpdate,
  addDecimals,
  canonicalDecimal,
  createFillActivities,
  tradingRestUrl,
} from '../../../../forwarder/alpaca/fill-activities.ts';
import { AlpacaRestError, type FetchLike } from '../../../../forwarder/alpaca/rest-client.ts';
import { decodeTradeStreamMessage } from '../../../../forwarder/alpaca/trade-update-decode.ts';
import { dedupKey } from '../../../../forwarder/pipeline/dedup-key.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

/** A FILL activity as Alpaca's docs show it (decimals as strings). */
const activity = (over: Record<string, unknown> = {}) => ({
  id: '20260105150000123::8efc7b9a-8b2b-4000-9955-d36e7db0df74',
  activity_type: 'FILL',
  transaction_time: '2026-01-05T15:00:00.123456Z',
  type: 'partial_fill',
  price: '189.50',
  qty: '40',
  side: 'buy',
  symbol: 'AAPL',
  leaves_qty: '60',
  order_id: '904837e3-3b76-47ec-b432-046db621571b',
  cum_qty: '40',
  order_status: 'partially_filled',
  ...over,
});

describe('activity → trade update', () => {
  test('maps every field to the shape the stream decoder produces, source rest', () => {
    const d = activityToTradeUpdate(activity(), 1_000);
    assert.ok(d.ok);
    assert.deepEqual(d.event, {
      channel: 'trade_updates',
      symbol: 'AAPL',
      eventTs: '2026-01-05T15:00:00.123456Z',
      receivedAtMs: 1_000,
      source: 'rest',
      payload: {
        event: 'partial_fill',
        timestamp: '2026-01-05T15:00:00.123456Z',
        price: '189.50',
        qty: '40',
        activity_id: '20260105150000123::8efc7b9a-8b2b-4000-9955-d36e7db0df74',
        order: {
          id: '904837e3-3b76-47ec-b432-046db621571b',
          symbol: 'AAPL',
          side: 'buy',
          filled_qty: '40',
          qty: '100',
          status: 'partially_filled',
        },
      },
    });
  });

  test('a transaction_time with an offset becomes UTC', () => {
    const d = activityToTradeUpdate(activity({ transaction_time: '2026-01-05T10:00:00.5-05:00' }), 0);
    assert.ok(d.ok);
    assert.equal(d.event.eventTs, '2026-01-05T15:00:00.5Z');
  });

  test('the REST copy of a fill has the dedup key of the stream copy', () => {
    const ws = decodeTradeStreamMessage(
      {
        stream: 'trade_updates',
        data: {
          event: 'partial_fill',
          execution_id: 'b8a3b1f0-0000-4000-8000-000000000001',
          timestamp: '2026-01-05T15:00:00.123456789Z',
          price: '189.5',
          qty: '40',
          position_qty: '40',
          order: {
            id: '904837e3-3b76-47ec-b432-046db621571b',
            client_order_id: 'c1',
            symbol: 'AAPL',
            side: 'buy',
            qty: '100',
            filled_qty: '40.0',
            status: 'partially_filled',
          },
        },
      },
      0,
    );
    assert.equal(ws.kind, 'event');
    const rest = activityToTradeUpdate(activity(), 0);
    assert.ok(rest.ok && ws.kind === 'event');
    assert.equal(dedupKey(rest.event), dedupKey(ws.event));
    // The next fill of the same order (cum_qty rises) is a different event.
    const next = activityToTradeUpdate(activity({ type: 'fill', cum_qty: '100', leaves_qty: '0' }), 0);
    assert.ok(next.ok);
    assert.notEqual(dedupKey(next.event), dedupKey(rest.event));
    const other = activityToTradeUpdate(activity({ cum_qty: '50' }), 0);
    assert.ok(other.ok);
    assert.notEqual(dedupKey(other.event), dedupKey(rest.event));
  });

  test('bad activities are refused with a reason naming the field', () => {
    const cases: [unknown, string][] = [
      [[], 'activity_not_an_object'],
      [activity({ id: undefined }), 'activity_missing_id'],
      [activity({ activity_type: 'DIV' }), 'activity_not_a_fill'],
      [activity({ type: 'new' }), 'activity_bad_type'],
      [activity({ order_id: '' }), 'activity_missing_order_id'],
      [activity({ symbol: 7 }), 'activity_missing_symbol'],
      [activity({ transaction_time: 'yesterday' }), 'activity_bad_transaction_time'],
      [activity({ price: 189.5 }), 'activity_bad_price'],
      [activity({ cum_qty: '1e3' }), 'activity_bad_cum_qty'],
      [activity({ symbol: 'A'.repeat(100) }), 'activity_oversized_symbol'],
    ];
    for (const [input, reason] of cases) {
      const d = activityToTradeUpdate(input, 0);
      assert.equal(d.ok, false, reason);
      if (!d.ok) assert.equal(d.reason, reason);
    }
  });

  test('decimals: one spelling, exact sums', () => {
    assert.equal(canonicalDecimal('010.500'), '10.5');
    assert.equal(canonicalDecimal('10.0'), '10');
    assert.equal(canonicalDecimal('-0.0'), '0');
    assert.equal(canonicalDecimal('abc'), 'abc');
    assert.equal(addDecimals('0.1', '0.2'), '0.3');
    assert.equal(addDecimals('1790.86', '9.14'), '1800');
    assert.equal(addDecimals('1', 'x'), null);
  });

  test('trading REST base from the stream URL', () => {
    assert.equal(tradingRestUrl('wss://paper-api.alpaca.markets/stream'), 'https://paper-api.alpaca.markets');
    assert.equal(tradingRestUrl('ws://127.0.0.1:4000/stream/'), 'http://127.0.0.1:4000');
  });
});

interface Call {
  url: URL;
  headers: Record<string, string>;
}

function fakeFetch(answer: (call: Call, n: number) => Response): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call = { url: new URL(url), headers: init.headers };
      calls.push(call);
      return answer(call, calls.length);
    },
  };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const nth = (i: number) =>
  activity({
    id: `20260105150000${String(100 + i)}::00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    order_id: `o-${i}`,
    type: 'fill',
    cum_qty: '1',
    leaves_qty: '0',
  });

describe('fill activities client', () => {
  const window = { afterMs: Date.UTC(2026, 0, 5, 14, 59), untilMs: Date.UTC(2026, 0, 5, 15, 1) };
  const credentials = { keyId: 'PKTEST', secretKey: 'sk' };

  test('the query: FILL, asc, after/until, page_size, then page_token = last id', async () => {
    assert.equal(
      activitiesQuery(window, 100, null),
      'activity_types=FILL&direction=asc&after=2026-01-05T14%3A59%3A00.000Z&until=2026-01-05T15%3A01%3A00.000Z&page_size=100',
    );
    const all = Array.from({ length: 5 }, (_, i) => nth(i));
    const { fetch, calls } = fakeFetch((call) => {
      const token = call.url.searchParams.get('page_token');
      const start = token === null ? 0 : all.findIndex((a) => a.id === token) + 1;
      return json(all.slice(start, start + Number(call.url.searchParams.get('page_size'))));
    });
    const client = createFillActivities(
      { tradingUrl: 'http://trading.test/', credentials, pageSize: 2 },
      { logger: silentLogger, fetch },
    );
    const result = await client.fills(window);
    assert.deepEqual(
      result.events.map((e) => (e.payload.order as Record<string, unknown>).id),
      ['o-0', 'o-1', 'o-2', 'o-3', 'o-4'],
    );
    assert.equal(result.pages, 3);
    assert.deepEqual(
      calls.map((c) => c.url.searchParams.get('page_token')),
      [null, all[1]?.id, all[3]?.id],
    );
    assert.equal(calls[0]?.url.pathname, '/v2/account/activities');
    assert.equal(calls[0]?.headers['APCA-API-KEY-ID'], 'PKTEST');
  });

  test('a full last page is followed by an empty one', async () => {
    const { fetch, calls } = fakeFetch((_c, n) => json(n === 1 ? [nth(0), nth(1)] : []));
    const client = createFillActivities(
      { tradingUrl: 'http://t', credentials, pageSize: 2 },
      { logger: silentLogger, fetch },
    );
    assert.equal((await client.fills(window)).events.length, 2);
    assert.equal(calls.length, 2);
  });

  test('unmappable activities are returned as dropped, the rest delivered', async () => {
    const { fetch } = fakeFetch(() => json([nth(0), activity({ type: 'x' })]));
    const client = createFillActivities(
      { tradingUrl: 'http://t', credentials },
      { logger: silentLogger, fetch },
    );
    const result = await client.fills(window);
    assert.equal(result.events.length, 1);
    assert.deepEqual(result.dropped, [{ id: activity().id, reason: 'activity_bad_type' }]);
  });

  test('403 is classified and thrown with the fills fetched before it', async () => {
    const { fetch } = fakeFetch((_c, n) =>
      n === 1 ? json([nth(0), nth(1)]) : json({ message: 'forbidden' }, 403),
    );
    const client = createFillActivities(
      { tradingUrl: 'http://t', credentials, pageSize: 2 },
      { logger: silentLogger, fetch },
    );
    const err = await client.fills(window).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AlpacaRestError);
    assert.equal(err.reason, 'alpaca_rest_403_forbidden');
    assert.equal(err.errorClass, 'alpaca_auth');
    assert.equal(err.partialEvents.length, 2);
  });

  test('429 is retried after Retry-After on the clock', async () => {
    const clock = createManualClock();
    const { fetch, calls } = fakeFetch((_c, n) =>
      n === 1
        ? new Response('too many requests.', { status: 429, headers: { 'retry-after': '2' } })
        : json([nth(0)]),
    );
    const client = createFillActivities(
      { tradingUrl: 'http://t', credentials },
      { logger: silentLogger, fetch, clock, random: () => 0.5 },
    );
    const done = client.fills(window);
    while (calls.length < 2) {
      await new Promise<void>((r) => setImmediate(r));
      const due = clock.nextDueAt();
      if (due !== null) {
        // The retry waits for Retry-After (2 s), not less.
        assert.equal(due - clock.now(), 2_000);
        clock.advance(due - clock.now());
      }
    }
    assert.equal((await done).events.length, 1);
  });

  test('a body that is not an array, or a full page that repeats its token, fails with a reason', async () => {
    const shape = createFillActivities(
      { tradingUrl: 'http://t', credentials },
      { logger: silentLogger, fetch: fakeFetch(() => json({ activities: [] })).fetch },
    );
    await assert.rejects(
      shape.fills(window),
      (e: unknown) => e instanceof AlpacaRestError && e.reason === 'alpaca_rest_unexpected_shape',
    );
    const loop = createFillActivities(
      { tradingUrl: 'http://t', credentials, pageSize: 1 },
      { logger: silentLogger, fetch: fakeFetch(() => json([nth(0)])).fetch },
    );
    await assert.rejects(
      loop.fills(window),
      (e: unknown) => e instanceof AlpacaRestError && e.reason === 'alpaca_rest_unexpected_shape',
    );
    const many = createFillActivities(
      { tradingUrl: 'http://t', credentials, pageSize: 1, maxPages: 3 },
      { logger: silentLogger, fetch: fakeFetch((_c, n) => json([nth(n)])).fetch },
    );
    await assert.rejects(
      many.fills(window),
      (e: unknown) => e instanceof AlpacaRestError && e.reason === 'alpaca_activities_too_many_pages',
    );
  });
});
