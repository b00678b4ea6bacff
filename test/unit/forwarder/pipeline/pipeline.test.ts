import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { CONFIG_DEFAULTS } from '../../../../contracts/config-file.ts';
import type { AlpacaEvent } from '../../../../forwarder/alpaca/types.ts';
import { createMetrics } from '../../../../forwarder/health/metrics.ts';
import { DedupCache } from '../../../../forwarder/pipeline/dedup.ts';
import { createPipeline, type PipelineMetrics } from '../../../../forwarder/pipeline/pipeline.ts';
import { SeqAllocator } from '../../../../forwarder/pipeline/seq.ts';
import { envelopeErrors } from '../../../support/envelope-schema.ts';
import { MemorySink } from '../../../support/fake-sink.ts';

const T0 = Date.UTC(2026, 0, 2, 15, 0, 0);

function ev(
  channel: AlpacaEvent['channel'],
  symbol: string,
  payload: Record<string, unknown>,
  source: AlpacaEvent['source'] = 'ws',
): AlpacaEvent {
  return { channel, symbol, payload, eventTs: (payload.t as string) ?? null, receivedAtMs: T0, source };
}

function counters(): PipelineMetrics & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const inc = (k: string, n = 1): void => {
    counts.set(k, (counts.get(k) ?? 0) + n);
  };
  return {
    counts,
    received: (c, n) => inc(`received:${c}`, n),
    forwarded: (c, n) => inc(`forwarded:${c}`, n),
    deduplicated: (c, n) => inc(`dedup:${c}`, n),
    dropped: (c, r) => inc(`dropped:${c}:${r}`),
    lagSeconds: (c) => inc(`lag:${c}`),
  };
}

function setup() {
  const sink = new MemorySink();
  const metrics = counters();
  let micros = T0 * 1000 + 123_456;
  const seq = new SeqAllocator(T0);
  const pipeline = createPipeline({
    feed: 'iex',
    topics: CONFIG_DEFAULTS.kafka.topics,
    dedup: new DedupCache({ ttlMs: 60_000, maxEntries: 1000 }),
    seq,
    sink,
    metrics,
    logger: pino({ level: 'silent' }),
    nowMicros: () => {
      micros += 1;
      return micros;
    },
  });
  return { sink, metrics, pipeline, seq };
}

describe('pipeline', () => {
  test('routes by channel, keys by symbol, monotonic seq per symbol, valid envelopes', () => {
    const { sink, pipeline } = setup();
    pipeline.handle([
      ev('trades', 'AAPL', { i: 1, x: 'V', t: '2026-01-02T15:00:00Z' }),
      ev('trades', 'MSFT', { i: 1, x: 'V', t: '2026-01-02T15:00:00Z' }),
      ev('trades', 'AAPL', { i: 2, x: 'V', t: '2026-01-02T15:00:01Z' }),
      ev('quotes', 'AAPL', { bp: 1, t: '2026-01-02T15:00:00Z' }),
      ev('updated_bars', 'AAPL', { o: 1, t: '2026-01-02T15:00:00Z' }),
      ev('statuses', 'AAPL', { sc: 'H', t: '2026-01-02T15:00:00Z' }),
    ]);
    assert.deepEqual(
      sink.records.map((r) => [r.topic, r.key]),
      [
        ['torghut.trades.v1', 'AAPL'],
        ['torghut.trades.v1', 'MSFT'],
        ['torghut.trades.v1', 'AAPL'],
        ['torghut.quotes.v1', 'AAPL'],
        ['torghut.bars.1m.v1', 'AAPL'],
        ['torghut.status.v1', 'AAPL'],
      ],
    );
    const envelopes = sink.records.map((r) => JSON.parse(r.value));
    for (const e of envelopes) assert.deepEqual(envelopeErrors(e), []);
    const aaplTrades = envelopes
      .filter((e) => e.channel === 'trades' && e.symbol === 'AAPL')
      .map((e) => e.seq);
    assert.deepEqual(aaplTrades, [T0 * 1000, T0 * 1000 + 1]);
  });

  test('exact replays are dropped and counted; distinct events never are', () => {
    const { sink, pipeline, metrics } = setup();
    const trade = ev('trades', 'AAPL', { i: 9, x: 'V', p: 1, t: '2026-01-02T15:00:00Z' });
    pipeline.handle([
      trade,
      { ...trade },
      ev('trades', 'MSFT', { i: 9, x: 'V', p: 1, t: '2026-01-02T15:00:00Z' }),
    ]);
    pipeline.handle([{ ...trade, source: 'rest' }]);
    assert.equal(sink.records.length, 2);
    assert.deepEqual(
      sink.records.map((r) => r.key),
      ['AAPL', 'MSFT'],
    );
    assert.equal(metrics.counts.get('dedup:trades'), 2);
    assert.equal(metrics.counts.get('received:trades'), 4);
    const seqs = sink.records.map((r) => JSON.parse(r.value).seq);
    assert.deepEqual(seqs, [T0 * 1000, T0 * 1000], 'a dropped replay consumes no seq');
  });

  test('a record the sink refuses is not counted as forwarded and its REST copy is not dropped as a replay', () => {
    const { sink, pipeline, metrics } = setup();
    const trade = ev('trades', 'AAPL', { i: 9, x: 'V', p: 1, t: '2026-01-02T15:00:00Z' });
    sink.refuse = true;
    pipeline.handle([trade]);
    assert.equal(sink.records.length, 0);
    assert.equal(metrics.counts.get('forwarded:trades'), undefined, 'a refused record is not forwarded');
    sink.refuse = false;
    pipeline.handle([{ ...trade, source: 'rest' }]);
    assert.equal(sink.records.length, 1, 'the gap-fill copy of the refused event is forwarded');
    assert.equal(metrics.counts.get('dedup:trades'), undefined);
    assert.equal(metrics.counts.get('forwarded:trades'), 1);
  });

  test('an event without a symbol is counted as dropped, not thrown', () => {
    const { sink, pipeline, metrics } = setup();
    pipeline.handle([ev('trades', '', { i: 1 }), ev('trades', 'AAPL', { i: 1 })]);
    assert.equal(sink.records.length, 1);
    assert.equal(metrics.counts.get('dropped:trades:missing_symbol'), 1);
  });

  test('counters are reported once per channel per batch, with the batch counts', async () => {
    const calls: string[] = [];
    const sink = new MemorySink();
    const spy: PipelineMetrics = {
      received: (c, n) => calls.push(`received ${c} ${n}`),
      forwarded: (c, n) => calls.push(`forwarded ${c} ${n}`),
      deduplicated: (c, n) => calls.push(`dedup ${c} ${n}`),
      dropped: (c, r) => calls.push(`dropped ${c} ${r}`),
      lagSeconds: () => {},
    };
    const real = createMetrics({ defaultMetrics: false });
    const both: PipelineMetrics = {
      received: (c, n) => {
        spy.received(c, n);
        real.pipeline.received(c, n);
      },
      forwarded: (c, n) => {
        spy.forwarded(c, n);
        real.pipeline.forwarded(c, n);
      },
      deduplicated: (c, n) => {
        spy.deduplicated(c, n);
        real.pipeline.deduplicated(c, n);
      },
      dropped: (c, r) => {
        spy.dropped(c, r);
        real.pipeline.dropped(c, r);
      },
      lagSeconds: (c, s) => real.pipeline.lagSeconds(c, s),
    };
    const pipeline = createPipeline({
      feed: 'iex',
      topics: CONFIG_DEFAULTS.kafka.topics,
      dedup: new DedupCache({ ttlMs: 60_000, maxEntries: 1000 }),
      seq: new SeqAllocator(T0),
      sink,
      metrics: both,
      logger: pino({ level: 'silent' }),
      nowMicros: () => T0 * 1000,
    });
    const trade = (i: number) => ev('trades', 'AAPL', { i, x: 'V', t: '2026-01-02T15:00:00Z' });
    const quote = (bp: number) => ev('quotes', 'AAPL', { bp, t: '2026-01-02T15:00:00Z' });
    pipeline.handle([trade(1), quote(1), trade(2), trade(1), quote(2), trade(3), ev('trades', '', { i: 4 })]);
    assert.deepEqual(calls, [
      'dropped trades missing_symbol',
      'received trades 5',
      'forwarded trades 3',
      'dedup trades 1',
      'received quotes 2',
      'forwarded quotes 2',
    ]);
    pipeline.handle([trade(5)]);
    const text = await real.registry.metrics();
    assert.match(text, /alpaca_forwarder_events_received_total\{channel="trades"\} 6/);
    assert.match(text, /alpaca_forwarder_events_forwarded_total\{channel="trades"\} 4/);
    assert.match(text, /alpaca_forwarder_events_deduplicated_total\{channel="trades"\} 1/);
    assert.match(text, /alpaca_forwarder_events_received_total\{channel="quotes"\} 2/);
    // One lag observation per channel per batch (two batches with trades).
    assert.match(text, /alpaca_forwarder_ws_lag_seconds_count\{channel="trades"\} 2/);
  });

  test("one clock read per batch: its events share ingest_ts and the lag is its oldest WS event's", () => {
    const sink = new MemorySink();
    const lags: string[] = [];
    let reads = 0;
    const pipeline = createPipeline({
      feed: 'iex',
      topics: CONFIG_DEFAULTS.kafka.topics,
      dedup: new DedupCache({ ttlMs: 60_000, maxEntries: 1000 }),
      seq: new SeqAllocator(T0),
      sink,
      metrics: { ...counters(), lagSeconds: (c, s) => lags.push(`${c} ${s}`) },
      logger: pino({ level: 'silent' }),
      nowMicros: () => {
        reads += 1;
        return T0 * 1000 + reads;
      },
    });
    pipeline.handle([
      ev('trades', 'AAPL', { i: 1, t: '2026-01-02T14:59:59.5Z' }),
      ev('quotes', 'AAPL', { bp: 1, t: '2026-01-02T14:59:59.75Z' }),
      ev('trades', 'MSFT', { i: 2, t: '2026-01-02T14:59:59.9Z' }),
      ev('bars', 'AAPL', { o: 1, t: '2026-01-01T15:00:00Z' }, 'rest'),
    ]);
    assert.equal(reads, 1);
    const ingest = sink.records.map((r) => (JSON.parse(r.value) as { ingest_ts: string }).ingest_ts);
    assert.deepEqual(ingest, Array(4).fill('2026-01-02T15:00:00.000001Z'));
    assert.deepEqual(lags, ['trades 0.5', 'quotes 0.25']);
  });

  test('an event whose symbol (the Kafka key) is past the bound never reaches the sink', () => {
    const { sink, pipeline, metrics } = setup();
    pipeline.handle([ev('trades', 'A'.repeat(262_144), { i: 1 }), ev('trades', 'AAPL', { i: 2 })]);
    assert.deepEqual(
      sink.records.map((r) => r.key),
      ['AAPL'],
    );
    assert.equal(metrics.counts.get('dropped:trades:oversized_symbol'), 1);
  });

  test('lag is observed for WS events only', () => {
    const { pipeline, metrics } = setup();
    pipeline.handle([
      ev('trades', 'AAPL', { i: 1, t: '2026-01-02T14:59:59.5Z' }),
      ev('bars', 'AAPL', { o: 1, t: '2026-01-01T15:00:00Z' }, 'rest'),
    ]);
    assert.equal(metrics.counts.get('lag:trades'), 1);
    assert.equal(metrics.counts.get('lag:bars'), undefined);
  });
});
