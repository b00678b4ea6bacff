import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimLog } from '../../sim/alpaca/log.ts';

test('waitFor resolves with a logged or future event; marks stay valid when old events are trimmed', async () => {
  const log = new SimLog(10);
  for (let i = 0; i < 5; i++) log.add({ type: 'rest', at: i, path: `/p${i}`, status: 200, keyId: null });
  assert.equal((await log.waitFor((e) => e.type === 'rest' && e.at === 3)).at, 3);
  const mark = log.mark();
  const later = log.waitFor((e) => e.type === 'rest', { since: mark });
  for (let i = 5; i < 40; i++) log.add({ type: 'rest', at: i, path: `/p${i}`, status: 200, keyId: null });
  assert.equal((await later).at, 5);
  assert.ok(log.events.length <= 11);
  const mark2 = log.mark();
  log.add({ type: 'rest', at: 99, path: '/x', status: 429, keyId: 'K' });
  assert.deepEqual(
    log.eventsSince(mark2).map((e) => e.at),
    [99],
  );
  assert.equal((await log.waitFor((e) => e.type === 'rest', { since: mark2 })).at, 99);
});

test('waitFor rejects after its safety timeout naming what it waited for', async () => {
  const log = new SimLog();
  await assert.rejects(
    log.waitFor(() => false, { timeoutMs: 10, what: 'nothing' }),
    /timed out after 10 ms waiting for nothing/,
  );
});

test('frames are not logged when logFrames is off; connections still are', () => {
  const log = new SimLog();
  log.logFrames = false;
  log.add({ type: 'frame', at: 0, connId: 1, dir: 'out', binary: false, messages: [], bytes: 2 });
  log.add({ type: 'close', at: 1, connId: 1, how: 'clean', code: 1000 });
  assert.deepEqual(
    log.events.map((e) => e.type),
    ['close'],
  );
});
