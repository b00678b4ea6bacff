import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ackChannels,
  diffSubscriptions,
  EMPTY_SUBSCRIPTIONS,
  missingFromAck,
  normaliseSubscriptions,
  sameSubscriptions,
  subscriptionFromAck,
  subscriptionMessage,
  subscriptionMessages,
  unionSubscriptions,
} from '../../../../forwarder/alpaca/subscriptions.ts';

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

test('missingFromAck: per channel, upper-cased, `*` in the ack covers the channel, unlisted channels unchecked', () => {
  const wanted = normaliseSubscriptions({ trades: ['aapl', 'MSFT'], quotes: ['AAPL'], bars: ['*'] });
  assert.deepEqual(
    missingFromAck(wanted, normaliseSubscriptions({ trades: ['AAPL'], quotes: ['*'], bars: ['*'] })),
    { ...EMPTY_SUBSCRIPTIONS, trades: ['MSFT'] },
  );
  // A wanted `*` needs a `*` in the ack; concrete symbols do not stand in for it.
  assert.deepEqual(
    missingFromAck(
      wanted,
      normaliseSubscriptions({ trades: ['AAPL', 'MSFT'], quotes: ['AAPL'], bars: ['AAPL'] }),
    ),
    { ...EMPTY_SUBSCRIPTIONS, bars: ['*'] },
  );
  // The acks of a split list, together, cover the wanted set.
  const union = unionSubscriptions(
    normaliseSubscriptions({ trades: ['AAPL'] }),
    normaliseSubscriptions({ trades: ['MSFT'], quotes: ['AAPL'], bars: ['*'] }),
  );
  assert.deepEqual(missingFromAck(wanted, union), EMPTY_SUBSCRIPTIONS);
  // A channel no ack lists (the test stream's acks have only trades, quotes, bars) is not checked.
  assert.deepEqual(
    missingFromAck(normaliseSubscriptions({ statuses: ['AAPL'] }), EMPTY_SUBSCRIPTIONS, new Set(['trades'])),
    EMPTY_SUBSCRIPTIONS,
  );
  assert.deepEqual(ackChannels({ T: 'subscription', trades: [], bars: ['X'], lulds: [] }), [
    'trades',
    'bars',
  ]);
});
