import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  diffSubscriptions,
  EMPTY_SUBSCRIPTIONS,
  normaliseSubscriptions,
  sameSubscriptions,
  subscriptionFromAck,
  subscriptionMessage,
  subscriptionMessages,
} from '../../../forwarder/alpaca/subscriptions.ts';

test('normalise upper-cases, trims, dedups and sorts', () => {
  assert.deepEqual(normaliseSubscriptions({ trades: [' aapl', 'AAPL', 'msft', ''] }), {
    ...EMPTY_SUBSCRIPTIONS,
    trades: ['AAPL', 'MSFT'],
  });
});

test('diff: additions subscribe, removals unsubscribe, per channel', () => {
  const cur = normaliseSubscriptions({ trades: ['AAPL', 'MSFT'], quotes: ['AAPL'], bars: ['*'] });
  const next = normaliseSubscriptions({
    trades: ['AAPL', 'NVDA'],
    quotes: ['AAPL'],
    bars: [],
    statuses: ['*'],
  });
  const d = diffSubscriptions(cur, next);
  assert.deepEqual(d.subscribe, { ...EMPTY_SUBSCRIPTIONS, trades: ['NVDA'], statuses: ['*'] });
  assert.deepEqual(d.unsubscribe, { ...EMPTY_SUBSCRIPTIONS, trades: ['MSFT'], bars: ['*'] });
  assert.deepEqual(subscriptionMessage('subscribe', d.subscribe), {
    action: 'subscribe',
    trades: ['NVDA'],
    statuses: ['*'],
  });
  assert.deepEqual(subscriptionMessage('unsubscribe', d.unsubscribe), {
    action: 'unsubscribe',
    trades: ['MSFT'],
    bars: ['*'],
  });
});

test('no change gives no messages', () => {
  const s = normaliseSubscriptions({ trades: ['AAPL'] });
  const d = diffSubscriptions(s, { ...s, trades: ['aapl'] });
  assert.equal(subscriptionMessage('subscribe', d.subscribe), null);
  assert.equal(subscriptionMessage('unsubscribe', d.unsubscribe), null);
  assert.ok(sameSubscriptions(s, { ...s, trades: ['aapl'] }));
});

test('ack parsing tolerates missing and extra keys', () => {
  assert.deepEqual(
    subscriptionFromAck({
      T: 'subscription',
      trades: ['FAKEPACA'],
      quotes: [],
      bars: ['FAKEPACA'],
      corrections: ['X'],
    }),
    { ...EMPTY_SUBSCRIPTIONS, trades: ['FAKEPACA'], bars: ['FAKEPACA'] },
  );
});

test('large sets are split into messages of at most N symbol entries, in channel order', () => {
  const set = normaliseSubscriptions({ trades: ['A', 'B', 'C'], quotes: ['D', 'E'], bars: ['F'] });
  assert.deepEqual(subscriptionMessages('subscribe', set, 2), [
    { action: 'subscribe', trades: ['A', 'B'] },
    { action: 'subscribe', trades: ['C'], quotes: ['D'] },
    { action: 'subscribe', quotes: ['E'], bars: ['F'] },
  ]);
  assert.deepEqual(subscriptionMessages('unsubscribe', set, 1000), [
    { action: 'unsubscribe', trades: ['A', 'B', 'C'], quotes: ['D', 'E'], bars: ['F'] },
  ]);
  assert.deepEqual(subscriptionMessages('subscribe', EMPTY_SUBSCRIPTIONS, 5), []);
});
