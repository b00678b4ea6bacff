import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlpacaEvent } from '../../../forwarder/alpaca/types.ts';
import { DedupCache } from '../../../forwarder/pipeline/dedup.ts';
import { canonicalTs, dedupKey } from '../../../forwarder/pipeline/dedup-key.ts';

function ev(channel: AlpacaEvent['channel'], symbol: string, payload: Record<string, unknown>): AlpacaEvent {
  return { channel, symbol, payload, eventTs: (payload.t as string) ?? null, receivedAtMs: 0, source: 'ws' };
}

describe('DedupCache', () => {
  test('a replay within the TTL is a duplicate; after the TTL it is new again', () => {
    const cache = new DedupCache({ ttlMs: 1000, maxEntries: 10 });
    assert.equal(cache.isDuplicate('a', 0), false);
    assert.equal(cache.isDuplicate('a', 999), true);
    assert.equal(cache.isDuplicate('a', 1000), false);
    assert.equal(cache.stats().expired, 1);
  });

  test('the entry cap evicts the oldest first', () => {
    const cache = new DedupCache({ ttlMs: 60_000, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) assert.equal(cache.isDuplicate(k, 0), false);
    assert.equal(cache.stats().size, 3);
    assert.equal(cache.isDuplicate('d', 1), true);
    assert.equal(cache.isDuplicate('b', 1), true);
    assert.equal(
      cache.isDuplicate('a', 1),
      false,
      'a was evicted, so it is treated as new (never a false drop)',
    );
  });

  test('a forgotten key is new again; the others are kept', () => {
    const cache = new DedupCache({ ttlMs: 60_000, maxEntries: 10 });
    for (const k of ['a', 'b']) assert.equal(cache.isDuplicate(k, 0), false);
    cache.forget('a');
    cache.forget('never-seen');
    assert.equal(cache.stats().size, 1);
    assert.equal(cache.isDuplicate('a', 1), false);
    assert.equal(cache.isDuplicate('b', 1), true);
  });

  test('entries stay bounded over a long run of unique events (each new key past the cap evicts one)', () => {
    const cap = 5_000;
    const cache = new DedupCache({ ttlMs: 3_600_000, maxEntries: cap });
    const total = 40 * cap;
    for (let i = 0; i < total; i += 1) {
      assert.equal(cache.isDuplicate(`trades:SYM${i % 97}:V:${i}`, i), false);
      const { size, evictedByCap } = cache.stats();
      if (size !== Math.min(i + 1, cap)) assert.fail(`size ${size} after ${i + 1} keys, cap ${cap}`);
      if (size + evictedByCap !== i + 1)
        assert.fail(`size + evicted ${size + evictedByCap} != ${i + 1} keys`);
    }
    assert.deepEqual(cache.stats(), { size: cap, evictedByCap: total - cap, expired: 0 });
  });

  test('TTL expiry alone also keeps it bounded (no cap pressure)', () => {
    const cache = new DedupCache({ ttlMs: 100, maxEntries: 1_000_000 });
    for (let i = 0; i < 100_000; i += 1) cache.isDuplicate(`k${i}`, i);
    assert.ok(cache.stats().size <= 101, `size ${cache.stats().size}`);
  });
});

describe('dedup keys (design §4.3)', () => {
  test('two distinct trades with the same id on different symbols get different keys', () => {
    const a = dedupKey(
      ev('trades', 'AAPL', { S: 'AAPL', i: 42, x: 'V', p: 1, s: 1, t: '2026-01-02T15:00:00Z' }),
    );
    const b = dedupKey(
      ev('trades', 'MSFT', { S: 'MSFT', i: 42, x: 'V', p: 1, s: 1, t: '2026-01-02T15:00:00Z' }),
    );
    assert.notEqual(a, b);
  });

  test('the same trade id on another exchange is a different trade', () => {
    const a = dedupKey(ev('trades', 'AAPL', { i: 42, x: 'V' }));
    const b = dedupKey(ev('trades', 'AAPL', { i: 42, x: 'Q' }));
    assert.notEqual(a, b);
  });

  test('a cancel of a trade is not a replay of that trade', () => {
    const trade = dedupKey(ev('trades', 'AAPL', { T: 't', i: 42, x: 'V', p: 1, s: 1 }));
    const cancel = dedupKey(ev('trades', 'AAPL', { T: 'x', i: 42, x: 'V', p: 1, s: 1, a: 'C' }));
    assert.notEqual(trade, cancel);
  });

  test('a replayed trade has the same key whatever the payload key order', () => {
    const a = dedupKey(ev('trades', 'AAPL', { i: 7, x: 'V', p: 1.5, t: 'T' }));
    const b = dedupKey(ev('trades', 'AAPL', { t: 'T', p: 1.5, x: 'V', i: 7 }));
    assert.equal(a, b);
  });

  test('quotes with the same timestamp but different prices are distinct; identical quotes collapse', () => {
    const base = {
      S: 'AAPL',
      t: '2026-01-02T15:00:00.123456789Z',
      bx: 'V',
      bp: 1,
      bs: 1,
      ax: 'V',
      ap: 2,
      as: 1,
    };
    const a = dedupKey(ev('quotes', 'AAPL', base));
    const b = dedupKey(ev('quotes', 'AAPL', { ...base, ap: 2.01 }));
    const c = dedupKey(ev('quotes', 'AAPL', { ...base }));
    assert.notEqual(a, b);
    assert.equal(a, c);
  });

  test('updated-bar corrections for one minute are distinct; bars and updated bars do not collide', () => {
    const bar = { S: 'AAPL', t: '2026-01-02T15:00:00Z', o: 1, h: 2, l: 0.5, c: 1.5, v: 100 };
    const u1 = dedupKey(ev('updated_bars', 'AAPL', bar));
    const u2 = dedupKey(ev('updated_bars', 'AAPL', { ...bar, v: 120 }));
    assert.notEqual(u1, u2);
    assert.notEqual(dedupKey(ev('bars', 'AAPL', bar)), u1);
  });

  test('REST and WS copies of the same bar share a key (extra REST fields do not matter)', () => {
    const ws = ev('bars', 'AAPL', {
      T: 'b',
      S: 'AAPL',
      t: '2026-01-02T15:00:00Z',
      o: 1,
      h: 2,
      l: 0.5,
      c: 1.5,
      v: 100,
    });
    const rest: AlpacaEvent = {
      ...ev('bars', 'AAPL', { t: '2026-01-02T15:00:00Z', o: 1, h: 2, l: 0.5, c: 1.5, v: 100, n: 3, vw: 1.2 }),
      source: 'rest',
    };
    assert.equal(dedupKey(ws), dedupKey(rest));
  });

  test('trade updates: order id + event + execution id', () => {
    const fill = (execution_id: string) =>
      dedupKey(
        ev('trade_updates', 'AAPL', { event: 'fill', execution_id, order: { id: 'o1', symbol: 'AAPL' } }),
      );
    assert.notEqual(fill('e1'), fill('e2'));
    assert.equal(fill('e1'), fill('e1'));
  });
});

describe('timestamp spelling in keys', () => {
  test('msgpack (ns) and REST (s) spellings of one bar give one key', () => {
    const ohlcv = { o: 1, h: 2, l: 0.5, c: 1.5, v: 100 };
    const ws = { ...ev('bars', 'AAPL', { ...ohlcv }), eventTs: '2026-01-05T15:00:00.000000000Z' };
    const rest = {
      ...ev('bars', 'AAPL', { ...ohlcv }),
      eventTs: '2026-01-05T15:00:00Z',
      source: 'rest' as const,
    };
    assert.equal(dedupKey(ws), dedupKey(rest));
    assert.equal(canonicalTs('2026-01-05T15:00:00.120+00:00'), '2026-01-05T15:00:00.12Z');
    assert.notEqual(canonicalTs('2026-01-05T15:00:00.000000001Z'), canonicalTs('2026-01-05T15:00:00Z'));
  });
});
