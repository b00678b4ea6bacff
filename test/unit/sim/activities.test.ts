import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityLedger, fillActivityOf } from '../../sim/alpaca/activities.ts';
import { tradeUpdate } from '../../sim/alpaca/trade-updates.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 15, 0, s)).toISOString();

test('a streamed fill becomes the FILL activity Alpaca lists for it; other events none', () => {
  const data = tradeUpdate({
    event: 'partial_fill',
    symbol: 'AAPL',
    qty: '10',
    price: '189.5',
    orderId: 'o-1',
    timestamp: at(1),
  });
  const a = fillActivityOf(data);
  assert.ok(a);
  assert.match(a.id, /^20260105150001000::[0-9a-f-]{36}$/);
  assert.deepEqual(
    { ...a, id: undefined },
    {
      id: undefined,
      activity_type: 'FILL',
      transaction_time: at(1),
      type: 'partial_fill',
      price: '189.5',
      qty: '5',
      side: 'buy',
      symbol: 'AAPL',
      leaves_qty: '5',
      order_id: 'o-1',
      cum_qty: '5',
      order_status: 'partially_filled',
    },
  );
  assert.equal(fillActivityOf(tradeUpdate({ event: 'new', symbol: 'AAPL', timestamp: at(1) })), null);
});

test('pages: direction, after/until, page_size, page_token = last id (asc: after it; desc: before it)', () => {
  const ledger = new ActivityLedger();
  for (let s = 0; s < 5; s++)
    ledger.record('K', tradeUpdate({ event: 'fill', symbol: 'AAPL', orderId: `o-${s}`, timestamp: at(s) }));
  ledger.record('OTHER', tradeUpdate({ event: 'fill', symbol: 'MSFT', timestamp: at(2) }));
  const page = (q: Record<string, string>) => {
    const a = ledger.page('K', null, new URLSearchParams(q));
    assert.equal(a.status, 200);
    return a.status === 200 ? a.body.map((x) => x.order_id) : [];
  };
  assert.deepEqual(page({ activity_types: 'FILL' }), ['o-4', 'o-3', 'o-2', 'o-1', 'o-0']);
  assert.deepEqual(page({ direction: 'asc', after: at(0), until: at(4) }), ['o-1', 'o-2', 'o-3']);
  const first = ledger.page('K', null, new URLSearchParams({ direction: 'asc', page_size: '2' }));
  assert.ok(first.status === 200);
  const last = first.body[1]?.id ?? '';
  assert.deepEqual(page({ direction: 'asc', page_size: '2', page_token: last }), ['o-2', 'o-3']);
  assert.deepEqual(page({ direction: 'desc', page_token: last }), ['o-0']);
  assert.deepEqual(page({ activity_types: 'DIV' }), []);
  assert.deepEqual(ledger.page('K', 'FILL', new URLSearchParams({ direction: 'asc', page_size: '1' })).body, [
    ledger.fills('K')[0],
  ]);
});

test('bad parameters get 422 naming the parameter', () => {
  const ledger = new ActivityLedger();
  for (const [q, text] of [
    [{ page_size: '101' }, 'page_size'],
    [{ direction: 'up' }, 'direction'],
    [{ after: 'soon' }, 'after'],
    [{ activity_types: 'fill' }, 'activity type'],
  ] as const) {
    const a = ledger.page('K', null, new URLSearchParams(q));
    assert.equal(a.status, 422);
    assert.match(JSON.stringify(a.body), new RegExp(text));
  }
});
