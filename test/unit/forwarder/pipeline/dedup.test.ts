import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AlpacaEvent } from '../../../../forwarder/alpaca/types.ts';
import { DedupCache } from '../../../../forwarder/pipeline/dedup.ts';
import { canonicalJson, canonicalTs, dedupKey } from '../../../../forwarder/pipeline/dedup-key.ts';

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

  test('cost model: a constant number of queue operations per insert at a full cache, whatever the cap', () => {
    const perInsert = (cap: number): number => {
      const cache = new DedupCache({ ttlMs: 300_000, maxEntries: cap });
      for (let i = 0; i < cap; i += 1) cache.isDuplicate(`k${i}`, 0);
      const before = cache.operations;
      const inserts = 10 * cap;
      for (let i = cap; i < cap + inserts; i += 1) cache.isDuplicate(`k${i}`, 1);
      assert.equal(cache.stats().size, cap);
      assert.ok(cache.queuedSlots <= 2 * cap, `queue ${cache.queuedSlots} slots for ${cap} entries`);
      return (cache.operations - before) / inserts;
    };
    const small = perInsert(5_000);
    const large = perInsert(50_000);
    // One push and one pop per insert, plus at most one move when the consumed head is released.
    assert.ok(small <= 3, `${small} operations per insert at cap 5000`);
    assert.ok(large <= 3, `${large} operations per insert at cap 50000`);
    assert.ok(Math.abs(large - small) < 0.1, `cost grows with the cap: ${small} → ${large}`);
  });

  test('cost model: forgotten keys leave stale slots that are compacted away (bounded queue, constant cost)', () => {
    const cap = 10_000;
    const cache = new DedupCache({ ttlMs: 300_000, maxEntries: cap });
    const inserts = 20 * cap;
    for (let i = 0; i < inserts; i += 1) {
      cache.isDuplicate(`k${i}`, 0);
      // Two of every three keys refused by the sink (forgotten): the queue must not fill with them.
      if (i % 3 !== 0) cache.forget(`k${i}`);
      if (cache.queuedSlots > 2 * cache.stats().size + 64)
        assert.fail(`${cache.queuedSlots} queue slots for ${cache.stats().size} entries`);
    }
    assert.ok(cache.operations / inserts <= 5, `${cache.operations / inserts} operations per insert`);
    assert.equal(cache.isDuplicate(`k${inserts - 2}`, 1), true, 'a kept key is still a duplicate');
    assert.equal(cache.isDuplicate(`k${inserts - 1}`, 1), false, 'a forgotten key is new again');
  });

  test('expiry pops live entries in insertion order and skips forgotten ones', () => {
    const cache = new DedupCache({ ttlMs: 100, maxEntries: 10 });
    cache.isDuplicate('a', 0);
    cache.isDuplicate('b', 10);
    cache.forget('a');
    cache.isDuplicate('a', 20);
    assert.equal(cache.isDuplicate('a', 105), true, 'the re-inserted a lives until 120');
    assert.equal(cache.isDuplicate('b', 105), true, 'b lives until 110');
    assert.equal(cache.isDuplicate('b', 110), false, 'b expired at 110');
    assert.equal(cache.isDuplicate('a', 120), false, 'the re-inserted a expired at 120');
    assert.deepEqual(
      cache.stats(),
      { size: 2, evictedByCap: 0, expired: 2 },
      'the stale a slot is no expiry',
    );
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
    for (const [given, canonical] of [
      ['2026-01-05T15:00:00Z', '2026-01-05T15:00:00Z'],
      ['2026-01-05T15:00:00.5Z', '2026-01-05T15:00:00.5Z'],
      ['2026-01-05T15:00:00.50Z', '2026-01-05T15:00:00.5Z'],
      ['2026-01-05T15:00:00.000Z', '2026-01-05T15:00:00Z'],
      ['2026-01-05T15:00:00.5z', '2026-01-05T15:00:00.5Z'],
      ['2026-01-05T15:00:10Z', '2026-01-05T15:00:10Z'],
      ['not a timestamp at all Z', 'not a timestamp at all Z'],
    ])
      assert.equal(canonicalTs(given as string), canonical, given);
  });
});

describe('quote and bar keys carry the field values exactly (no hash)', () => {
  const QUOTE = ['bx', 'bp', 'bs', 'ax', 'ap', 'as', 'c', 'z'];
  /** The key's field part as it was: sha256 over the canonical {field: value} object. */
  const hashed = (p: Record<string, unknown>, fields: string[]): string =>
    createHash('sha256')
      .update(canonicalJson(Object.fromEntries(fields.map((f) => [f, p[f] ?? null]))))
      .digest('base64url');

  test('the key spells the values in field order', () => {
    const q = { T: 'q', S: 'AAPL', bx: 'V', bp: 189.5, bs: 3, ax: 'Q', ap: 189.51, as: 2, c: ['R'], z: 'C' };
    assert.equal(
      dedupKey(ev('quotes', 'AAPL', { ...q, t: '2026-01-02T15:00:00.123456789Z' })),
      'quotes:AAPL:2026-01-02T15:00:00.123456789Z:["V",189.5,3,"Q",189.51,2,["R"],"C"]',
    );
    const bar = { T: 'b', S: 'AAPL', t: '2026-01-02T15:00:00Z', o: 1, h: 2, l: 0.5, c: 1.5, v: 100, n: 3 };
    assert.equal(dedupKey(ev('bars', 'AAPL', bar)), 'bars:AAPL:2026-01-02T15:00:00Z:[1,2,0.5,1.5,100]');
    assert.equal(
      dedupKey(ev('quotes', 'AAPL', { S: 'AAPL', t: '2026-01-02T15:00:00Z', bp: 1 })),
      'quotes:AAPL:2026-01-02T15:00:00Z:[null,1,null,null,null,null,null,null]',
      'a missing field is null, as before',
    );
  });

  test('equal keys iff the hashed keys of before were equal (pairs of quotes that differ in one field)', () => {
    const base: Record<string, unknown> = {
      bx: 'V',
      bp: 1.25,
      bs: 3,
      ax: 'Q',
      ap: 1.26,
      as: 2,
      c: ['R', 'I'],
      z: 'C',
    };
    const variants: unknown[] = [
      undefined,
      null,
      0,
      -0,
      1,
      '1',
      1.25,
      '1.25',
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '',
      'V,',
      '"',
      ['R'],
      ['I', 'R'],
      ['R', 'I'],
      [],
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      true,
    ];
    const t = '2026-01-02T15:00:00.5Z';
    let pairs = 0;
    for (const field of QUOTE) {
      for (const a of variants) {
        for (const b of variants) {
          const pa = { ...base, [field]: a };
          const pb = { ...base, [field]: b };
          const sameNow =
            dedupKey(ev('quotes', 'X', { ...pa, t })) === dedupKey(ev('quotes', 'X', { ...pb, t }));
          const sameBefore = hashed(pa, QUOTE) === hashed(pb, QUOTE);
          if (sameNow !== sameBefore) assert.fail(`${field}: ${String(a)} vs ${String(b)}`);
          pairs += 1;
        }
      }
    }
    assert.equal(pairs, QUOTE.length * variants.length ** 2);
  });

  test('values that would run together stay apart', () => {
    const t = '2026-01-02T15:00:00Z';
    const k = (p: Record<string, unknown>) => dedupKey(ev('quotes', 'X', { ...p, t }));
    assert.notEqual(k({ bx: 'V,1', bp: 2 }), k({ bx: 'V', bp: 1, bs: 2 }));
    assert.notEqual(k({ c: ['R,I'] }), k({ c: ['R', 'I'] }));
    assert.notEqual(k({ z: 'C' }), k({ z: 'C"' }));
  });
});
