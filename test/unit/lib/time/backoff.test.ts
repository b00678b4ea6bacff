import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exponentialDelayMs } from '../../../../lib/time/backoff.ts';

describe('exponentialDelayMs (the one backoff formula)', () => {
  test('attempt 0 waits nothing, attempt 1 the base, then doubling up to the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((n) => exponentialDelayMs(n, 100, 1_000)),
      [0, 100, 200, 400, 800, 1_000, 1_000],
    );
  });

  test('huge attempt counts stay at the cap (no Infinity, no NaN)', () => {
    assert.equal(exponentialDelayMs(10_000, 500, 30_000), 30_000);
    assert.equal(exponentialDelayMs(Number.MAX_SAFE_INTEGER, 1, 5), 5);
  });
});
