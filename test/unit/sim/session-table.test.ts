import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { SessionTable } from '../../sim/alpaca/session-table.ts';

test('limit per (key, endpoint); the holder is never evicted; other keys and endpoints are separate', () => {
  const t = new SessionTable(new ManualClock(), 90_000);
  assert.ok(t.acquire('K', '/v2/iex', 1, 1));
  assert.ok(!t.acquire('K', '/v2/iex', 2, 1));
  assert.ok(t.acquire('K', '/v2/sip', 3, 1));
  assert.ok(t.acquire('K2', '/v2/iex', 4, 1));
  assert.ok(t.acquire('K', '/v2/iex', 1, 1), 're-acquire by the holder is idempotent');
  assert.deepEqual(t.holders('K', '/v2/iex'), [{ connId: 1, lingering: false, lingerUntil: null }]);
});

test('clean release frees at once; abrupt release lingers exactly the window on the clock', () => {
  const clock = new ManualClock(1_000_000);
  const t = new SessionTable(clock, 90_000);
  t.acquire('K', 'e', 1, 1);
  t.release(1, 'clean');
  assert.ok(t.acquire('K', 'e', 2, 1));
  t.release(2, 'abrupt');
  assert.ok(!t.acquire('K', 'e', 3, 1));
  clock.advance(89_999);
  assert.ok(!t.acquire('K', 'e', 3, 1));
  clock.advance(1);
  assert.ok(t.acquire('K', 'e', 3, 1));
});

test('a session that has begun a clean close no longer holds its slot; clear forgets everything', () => {
  const t = new SessionTable(new ManualClock(), 90_000);
  let closing = false;
  t.acquire('K', 'e', 1, 1, () => closing);
  assert.ok(!t.acquire('K', 'e', 2, 1));
  closing = true;
  assert.ok(t.acquire('K', 'e', 2, 1));
  t.release(1, 'abrupt'); // late close event of the old session: must not re-occupy
  assert.deepEqual(
    t.holders('K', 'e').map((h) => h.connId),
    [2],
  );
  t.clear();
  assert.ok(t.acquire('K', 'e', 3, 1));
});

test('a higher connection limit admits that many sessions', () => {
  const t = new SessionTable(new ManualClock(), 0);
  assert.ok(t.acquire('K', 'e', 1, 2));
  assert.ok(t.acquire('K', 'e', 2, 2));
  assert.ok(!t.acquire('K', 'e', 3, 2));
});
