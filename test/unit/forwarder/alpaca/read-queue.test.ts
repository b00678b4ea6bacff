import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReadQueue } from '../../../../forwarder/alpaca/read-queue.ts';

/** A queue on a fake monotonic clock whose items cost `costMs` each; slices run when the test says. */
function setup(opts: { maxBytes?: number; sliceMs?: number; costMs?: number; throwOn?: string } = {}) {
  let nowMs = 0;
  const slices: (() => void)[] = [];
  const ran: string[] = [];
  const pressure: boolean[] = [];
  const errors: unknown[] = [];
  const queue = createReadQueue<string>({
    maxBytes: opts.maxBytes ?? 1_000,
    sliceMs: opts.sliceMs ?? 10,
    now: () => nowMs,
    schedule: (fn) => slices.push(fn),
    run(item) {
      nowMs += opts.costMs ?? 4;
      if (item === opts.throwOn) throw new Error(`bad ${item}`);
      ran.push(item);
    },
    onPressure: (full) => pressure.push(full),
    onError: (err) => errors.push(err),
  });
  const runSlice = (): void => (slices.shift() as () => void)();
  return { queue, slices, ran, pressure, errors, runSlice };
}

test('items run in push order, in slices of sliceMs, one event-loop turn apart', async () => {
  const { queue, slices, ran, runSlice } = setup({ sliceMs: 10, costMs: 4 });
  for (const x of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) queue.push(x, 1);
  assert.equal(slices.length, 1, 'one slice scheduled for the whole burst');
  assert.deepEqual(ran, [], 'nothing runs inside push');
  let idle = false;
  const idling = queue.idle().then(() => {
    idle = true;
  });
  runSlice();
  assert.deepEqual(ran, ['a', 'b', 'c'], '3 items × 4 ms reach the 10 ms slice');
  assert.equal(slices.length, 1, 'the rest waits for the next turn');
  assert.deepEqual(queue.state(), { frames: 4, bytes: 4, paused: false });
  runSlice();
  runSlice();
  assert.deepEqual(ran, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.equal(slices.length, 0);
  await idling;
  assert.equal(idle, true);
  assert.deepEqual(queue.state(), { frames: 0, bytes: 0, paused: false });
  queue.push('h', 1);
  assert.equal(slices.length, 1, 'a push after idle schedules a new slice');
});

test('pressure at maxBytes, relief once at most half is queued; reported once per crossing', () => {
  const { queue, pressure, runSlice } = setup({ maxBytes: 100, sliceMs: 8, costMs: 4 });
  for (let i = 0; i < 5; i++) queue.push(`f${i}`, 30);
  assert.deepEqual(pressure, [true], '120 bytes ≥ 100: one pressure report, not one per push');
  runSlice();
  assert.deepEqual(queue.state(), { frames: 3, bytes: 90, paused: true }, 'still above half');
  runSlice();
  assert.deepEqual(pressure, [true, false], '30 bytes ≤ 50: relieved');
  assert.equal(queue.state().paused, false);
});

test('a throwing item is reported and the next one still runs', () => {
  const { queue, ran, errors, runSlice } = setup({ throwOn: 'b', sliceMs: 100 });
  for (const x of ['a', 'b', 'c']) queue.push(x, 1);
  runSlice();
  assert.deepEqual(ran, ['a', 'c']);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /bad b/);
});

test('a long backlog is compacted as it drains and keeps its order', () => {
  const { queue, ran, runSlice, slices } = setup({ sliceMs: 1, costMs: 1 });
  const n = 5_000;
  for (let i = 0; i < n; i++) queue.push(String(i), 1);
  let turns = 0;
  while (slices.length > 0) {
    runSlice();
    turns += 1;
    if (turns === 2_600) for (let i = n; i < n + 10; i++) queue.push(String(i), 1);
  }
  assert.equal(turns, n + 10, 'one item per 1 ms slice');
  assert.deepEqual(
    ran,
    Array.from({ length: n + 10 }, (_, i) => String(i)),
  );
});
