import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkQueue } from '../../../../operator/controller/queue.ts';
import { FakeTimers, flush } from '../../../support/fake-timers.ts';

/** A handler whose calls the test completes by hand. */
function manualHandler() {
  const calls: Array<{
    key: string;
    signal: AbortSignal;
    resolve: (r?: { requeueAfterMs?: number }) => void;
    reject: (e: unknown) => void;
  }> = [];
  let active = 0;
  let maxActive = 0;
  const activeKeys = new Map<string, number>();
  let overlapSameKey = false;
  const handler = (key: string, signal: AbortSignal) =>
    new Promise<{ requeueAfterMs?: number } | undefined>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const n = (activeKeys.get(key) ?? 0) + 1;
      activeKeys.set(key, n);
      if (n > 1) overlapSameKey = true;
      const done = () => {
        active--;
        activeKeys.set(key, (activeKeys.get(key) ?? 1) - 1);
      };
      calls.push({
        key,
        signal,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  return {
    handler,
    calls,
    get maxActive() {
      return maxActive;
    },
    get overlapSameKey() {
      return overlapSameKey;
    },
  };
}

describe('WorkQueue', () => {
  test('deduplicates a key added many times before it runs', async () => {
    const timers = new FakeTimers();
    const h = manualHandler();
    const q = new WorkQueue(h.handler, { workers: 1, timers });
    q.add('ns/blocker');
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    assert.equal(q.depth, 1);
    h.calls[0]?.resolve();
    await flush();
    assert.deepEqual(
      h.calls.map((c) => c.key),
      ['ns/blocker', 'ns/a'],
    );
    h.calls[1]?.resolve();
    await q.whenIdle();
    assert.equal(h.calls.length, 2);
  });

  test('a key added while processing runs exactly once more afterwards, never concurrently', async () => {
    const timers = new FakeTimers();
    const h = manualHandler();
    const q = new WorkQueue(h.handler, { workers: 4, timers });
    q.add('ns/a');
    await flush();
    assert.equal(h.calls.length, 1);
    q.add('ns/a');
    q.add('ns/a');
    await flush();
    assert.equal(h.calls.length, 1, 'second run waits for the first');
    h.calls[0]?.resolve();
    await flush();
    assert.equal(h.calls.length, 2);
    h.calls[1]?.resolve();
    await q.whenIdle();
    assert.equal(h.calls.length, 2);
    assert.equal(h.overlapSameKey, false);
  });

  test('bounded concurrency across keys', async () => {
    const timers = new FakeTimers();
    const h = manualHandler();
    const q = new WorkQueue(h.handler, { workers: 2, timers });
    for (const k of ['a', 'b', 'c', 'd']) q.add(`ns/${k}`);
    await flush();
    assert.equal(h.calls.length, 2);
    assert.equal(q.depth, 2);
    for (let i = 0; i < 4; i++) {
      h.calls[i]?.resolve();
      await flush();
    }
    await q.whenIdle();
    assert.equal(h.calls.length, 4);
    assert.equal(h.maxActive, 2);
  });

  test('failures retry with per-key exponential backoff up to the max, reset on success', async () => {
    const timers = new FakeTimers();
    const h = manualHandler();
    const retries: number[] = [];
    const q = new WorkQueue(h.handler, {
      workers: 1,
      timers,
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      onError: (_k, _e, ms) => retries.push(ms),
    });
    q.add('ns/a');
    for (let i = 0; i < 6; i++) {
      await flush();
      h.calls[i]?.reject(new Error('boom'));
      await flush();
      const delay = retries[i] ?? 0;
      await timers.advance(delay - 1);
      assert.equal(h.calls.length, i + 1, 'not retried before the backoff delay');
      await timers.advance(1);
    }
    assert.deepEqual(retries, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(q.failures('ns/a'), 6);
    h.calls[6]?.resolve();
    await q.whenIdle();
    assert.equal(q.failures('ns/a'), 0);
    assert.deepEqual(timers.pendingDelays(), []);
  });

  test('requeueAfter runs the key again after the delay; the earliest pending delay wins', async () => {
    const timers = new FakeTimers();
    const h = manualHandler();
    const q = new WorkQueue(h.handler, { workers: 1, timers });
    q.add('ns/a');
    await flush();
    h.calls[0]?.resolve({ requeueAfterMs: 10_000 });
    await q.whenIdle();
    q.addAfter('ns/a', 30_000);
    assert.deepEqual(timers.pendingDelays(), [10_000]);
    q.addAfter('ns/a', 5_000);
    assert.deepEqual(timers.pendingDelays(), [5_000]);
    await timers.advance(4_999);
    assert.equal(h.calls.length, 1);
    await timers.advance(1);
    assert.equal(h.calls.length, 2);
    h.calls[1]?.resolve();
    await q.whenIdle();
  });

  test('stop aborts in-flight handlers and drops queued keys; drain lets them finish', async () => {
    const timers = new FakeTimers();
    const h = manualHandler();
    const q = new WorkQueue(h.handler, { workers: 1, timers });
    q.add('ns/a');
    q.add('ns/b');
    await flush();
    const first = h.calls[0];
    assert.ok(first);
    first.signal.addEventListener('abort', () => first.reject(first.signal.reason));
    await q.stop();
    assert.equal(first.signal.aborted, true);
    assert.equal(h.calls.length, 1, 'queued key dropped');
    q.add('ns/c');
    await flush();
    assert.equal(h.calls.length, 1, 'a stopped queue takes nothing');

    const h2 = manualHandler();
    const q2 = new WorkQueue(h2.handler, { workers: 1, timers });
    q2.add('ns/a');
    q2.add('ns/b');
    await flush();
    let drained = false;
    const d = q2.drain().then(() => {
      drained = true;
    });
    await flush();
    assert.equal(drained, false, 'drain waits for the in-flight handler');
    assert.equal(h2.calls[0]?.signal.aborted, false);
    h2.calls[0]?.resolve({ requeueAfterMs: 1000 });
    await d;
    assert.equal(h2.calls.length, 1);
    assert.deepEqual(timers.pendingDelays(), []);
  });
});
