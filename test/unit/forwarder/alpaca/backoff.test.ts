import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_BACKOFF,
  exponentialCapMs,
  parseRetryAfterMs,
  reconnectDelayMs,
} from '../../../../forwarder/alpaca/backoff.ts';

const cfg = {
  ...DEFAULT_BACKOFF,
  baseMs: 500,
  maxMs: 30_000,
  cooldown406Ms: 90_000,
  permanentRetryMs: 300_000,
};

test('full jitter stays within [base, min(max, base*2^n)] for every failure count', () => {
  for (let n = 1; n <= 40; n++) {
    const cap = exponentialCapMs(cfg, n);
    assert.equal(cap, Math.min(30_000, 500 * 2 ** n));
    assert.equal(
      reconnectDelayMs(cfg, 'transient', n, () => 0),
      500,
    );
    assert.equal(
      reconnectDelayMs(cfg, 'transient', n, () => 0.999999),
      Math.round(500 + 0.999999 * (cap - 500)),
    );
    for (let i = 0; i < 50; i++) {
      const r = ((i * 7919) % 1000) / 1000;
      const d = reconnectDelayMs(cfg, 'transient', n, () => r);
      assert.ok(d >= 500 && d <= cap, `n=${n} r=${r} d=${d}`);
    }
  }
  assert.equal(exponentialCapMs(cfg, 1000), 30_000);
});

test('the jitter spreads uniformly over the range (injected random)', () => {
  const n = 10;
  assert.equal(
    reconnectDelayMs(cfg, 'transient', n, () => 0.5),
    Math.round(500 + 0.5 * (30_000 - 500)),
  );
});

test('406 waits at least the lingering window, whatever the random draw', () => {
  for (const r of [0, 0.3, 0.99]) {
    for (const n of [1, 2, 10]) assert.ok(reconnectDelayMs(cfg, 'cooldown_406', n, () => r) >= 90_000);
  }
  assert.equal(
    reconnectDelayMs({ ...cfg, cooldown406Ms: 120_000 }, 'cooldown_406', 1, () => 0),
    120_000,
  );
});

test('permanent failures wait the long fixed interval; Retry-After is a floor', () => {
  assert.equal(
    reconnectDelayMs(cfg, 'permanent', 1, () => 0.7),
    300_000,
  );
  assert.equal(
    reconnectDelayMs(cfg, 'transient', 1, () => 0, 7_000),
    7_000,
  );
  assert.equal(
    reconnectDelayMs(cfg, 'transient', 1, () => 0, 10),
    500,
  );
});

test('Retry-After parses seconds and HTTP dates', () => {
  assert.equal(parseRetryAfterMs('3', 0), 3_000);
  assert.equal(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(parseRetryAfterMs('soon', 0), undefined);
  assert.equal(parseRetryAfterMs(null, 0), undefined);
});
