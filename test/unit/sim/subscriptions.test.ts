import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS } from '../../sim/alpaca/protocol.ts';
import {
  admits,
  applySubscriptionRequest,
  emptySubscriptions,
  type SubscriptionState,
  subscriptionMessage,
} from '../../sim/alpaca/subscriptions.ts';

function apply(
  state: SubscriptionState,
  action: 'subscribe' | 'unsubscribe',
  req: Record<string, unknown>,
  cap: number | null = null,
) {
  const r = applySubscriptionRequest(state, action, req, cap);
  if (!r.ok) throw new Error(`unexpected error ${r.error.code}`);
  return r.next;
}

test('subscribe adds, unsubscribe removes, per channel; duplicates and empty arrays change nothing', () => {
  let s = apply(emptySubscriptions(), 'subscribe', { trades: ['AAPL', 'AAPL'], quotes: [], bars: ['*'] });
  s = apply(s, 'subscribe', { trades: ['MSFT'], quotes: ['AMD'] });
  assert.deepEqual(s.trades, ['AAPL', 'MSFT']);
  s = apply(s, 'unsubscribe', { trades: ['AAPL', 'NOPE'], bars: ['*'] });
  assert.deepEqual(s.trades, ['MSFT']);
  assert.deepEqual(s.bars, []);
  assert.deepEqual(s.quotes, ['AMD']);
});

test('* admits every symbol; unsubscribing one symbol does not narrow *', () => {
  let s = apply(emptySubscriptions(), 'subscribe', { bars: ['*'] });
  s = apply(s, 'unsubscribe', { bars: ['AAPL'] });
  assert.ok(admits(s, 'bars', 'AAPL'));
  assert.ok(admits(s, 'bars', 'ZZZ'));
  assert.ok(!admits(s, 'trades', 'AAPL'));
});

test('the subscription message mirrors trades into corrections and cancelErrors; the test stream lists three keys', () => {
  const s = apply(emptySubscriptions(), 'subscribe', { trades: ['AAPL'], statuses: ['*'] });
  const msg = subscriptionMessage(s, { testStream: false, includeImbalances: false });
  assert.deepEqual(Object.keys(msg), [
    'T',
    'trades',
    'quotes',
    'bars',
    'updatedBars',
    'dailyBars',
    'statuses',
    'lulds',
    'corrections',
    'cancelErrors',
  ]);
  assert.deepEqual(msg.corrections, ['AAPL']);
  assert.deepEqual(msg.cancelErrors, ['AAPL']);
  assert.deepEqual(Object.keys(subscriptionMessage(s, { testStream: true, includeImbalances: false })), [
    'T',
    'trades',
    'quotes',
    'bars',
  ]);
  assert.ok('imbalances' in subscriptionMessage(s, { testStream: false, includeImbalances: true }));
});

test('405 over the symbol cap (distinct symbols over all channels, * not counted), nothing applied', () => {
  const s = apply(emptySubscriptions(), 'subscribe', { trades: ['A', 'B'], quotes: ['A'], bars: ['*'] }, 3);
  const r = applySubscriptionRequest(s, 'subscribe', { trades: ['C'], quotes: ['D'] }, 3);
  assert.deepEqual(r, { ok: false, error: ERRORS.symbolLimit });
  assert.deepEqual(apply(s, 'subscribe', { quotes: ['C'] }, 3).quotes, ['A', 'C']);
  // unsubscribing is always allowed
  assert.deepEqual(apply(s, 'unsubscribe', { trades: ['A'] }, 0).trades, ['B']);
});

test('400 for malformed channel values and symbols, 410 for foreign channels, unknown keys ignored', () => {
  const e = emptySubscriptions();
  for (const bad of [
    { trades: 'AAPL' },
    { trades: [1] },
    { trades: ['aapl'] },
    { quotes: ['AA PL'] },
    { bars: [''] },
  ]) {
    assert.deepEqual(applySubscriptionRequest(e, 'subscribe', bad, null), {
      ok: false,
      error: ERRORS.invalidSyntax,
    });
  }
  assert.deepEqual(applySubscriptionRequest(e, 'subscribe', { orderbooks: ['AAPL'] }, null), {
    ok: false,
    error: ERRORS.invalidSubscribeAction,
  });
  assert.deepEqual(
    apply(e, 'subscribe', { somethingNew: ['X'], corrections: ['AAPL'], trades: ['BRK.B'] }).trades,
    ['BRK.B'],
  );
});
