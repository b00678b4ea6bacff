import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDataExpected, isUsRegularSession } from '../../../forwarder/alpaca/market-hours.ts';
import { normaliseSubscriptions } from '../../../forwarder/alpaca/subscriptions.ts';

test('regular US session in New York time, across EST and EDT', () => {
  assert.equal(isUsRegularSession(Date.UTC(2026, 0, 5, 14, 30)), true); // Mon 09:30 EST
  assert.equal(isUsRegularSession(Date.UTC(2026, 0, 5, 14, 29)), false);
  assert.equal(isUsRegularSession(Date.UTC(2026, 0, 5, 20, 59)), true); // 15:59 EST
  assert.equal(isUsRegularSession(Date.UTC(2026, 0, 5, 21, 0)), false); // 16:00
  assert.equal(isUsRegularSession(Date.UTC(2026, 6, 6, 13, 30)), true); // Mon 09:30 EDT
  assert.equal(isUsRegularSession(Date.UTC(2026, 6, 6, 20, 0)), false); // 16:00 EDT
  assert.equal(isUsRegularSession(Date.UTC(2026, 0, 10, 16, 0)), false); // Saturday
});

test('data expectations per feed and subscription', () => {
  const open = Date.UTC(2026, 0, 5, 15, 0);
  const closed = Date.UTC(2026, 0, 5, 23, 0);
  const bars = normaliseSubscriptions({ bars: ['AAPL'] });
  const statuses = normaliseSubscriptions({ statuses: ['*'] });
  assert.equal(isDataExpected('iex', bars, open), true);
  assert.equal(isDataExpected('iex', bars, closed), false);
  assert.equal(isDataExpected('iex', statuses, open), false);
  assert.equal(isDataExpected('test', normaliseSubscriptions({ quotes: ['FAKEPACA'] }), closed), true);
  assert.equal(isDataExpected('test', normaliseSubscriptions({ trades: ['FAKEPACA'] }), closed), false);
  assert.equal(isDataExpected('test', normaliseSubscriptions({}), open), false);
});
