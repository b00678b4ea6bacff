import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import pino from 'pino';
import type { AlpacaEvent, StreamState } from '../../../../forwarder/alpaca/types.ts';
import { buildEnvelope } from '../../../../forwarder/pipeline/envelope.ts';
import { SeqAllocator } from '../../../../forwarder/pipeline/seq.ts';
import { formatMicros } from '../../../../forwarder/pipeline/time.ts';
import { createStatusPublisher } from '../../../../forwarder/status/publisher.ts';
import { render, TARGETS } from '../../../../scripts/generate-types.ts';
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

describe('envelope', () => {
  test('ingest_ts is RFC3339 with exactly six fractional digits', () => {
    assert.equal(
      formatMicros(Date.UTC(2026, 6, 21, 14, 0, 0, 532) * 1000 + 918),
      '2026-07-21T14:00:00.532918Z',
    );
    assert.equal(formatMicros(Date.UTC(2026, 6, 21, 14, 0, 0, 0) * 1000 + 7), '2026-07-21T14:00:00.000007Z');
  });

  test('every channel produces an envelope valid against the JSON Schema', () => {
    const events: AlpacaEvent[] = [
      ev('trades', 'AAPL', {
        T: 't',
        S: 'AAPL',
        i: 1,
        x: 'V',
        p: 1,
        s: 1,
        t: '2026-01-02T15:00:00.123456789Z',
      }),
      ev('quotes', 'AAPL', { T: 'q', S: 'AAPL', bp: 1, ap: 2, t: '2026-01-02T15:00:00.1Z' }),
      ev('bars', 'AAPL', { T: 'b', S: 'AAPL', o: 1, h: 1, l: 1, c: 1, v: 1, t: '2026-01-02T15:00:00Z' }),
      ev('updated_bars', 'AAPL', {
        T: 'u',
        S: 'AAPL',
        o: 1,
        h: 1,
        l: 1,
        c: 1,
        v: 2,
        t: '2026-01-02T15:00:00Z',
      }),
      ev('bars', 'AAPL', { o: 1, h: 1, l: 1, c: 1, v: 1, t: '2026-01-02T15:01:00Z' }, 'rest'),
      ev('statuses', 'AAPL', { T: 's', S: 'AAPL', sc: 'H', t: '2026-01-02T15:00:00Z' }),
      ev('trade_updates', 'AAPL', { event: 'new', timestamp: '2026-01-02T15:00:00Z', order: { id: 'o1' } }),
    ];
    for (const [i, e] of events.entries()) {
      const envelope = buildEnvelope(e, { feed: 'iex', seq: i, dedupKey: `k${i}`, ingestMicros: T0 * 1000 });
      assert.deepEqual(envelopeErrors(envelope), [], `${e.channel}/${e.source}`);
      assert.deepEqual(envelope.payload, e.payload, 'payload passes through as received');
    }
  });

  test('is_final, window and feed per channel', () => {
    const bar = buildEnvelope(ev('bars', 'AAPL', { t: '2026-01-02T15:00:00Z' }), {
      feed: 'sip',
      seq: 1,
      dedupKey: 'k',
      ingestMicros: 0,
    });
    assert.deepEqual(bar.window, {
      size: '1m',
      start: '2026-01-02T15:00:00Z',
      end: '2026-01-02T15:01:00.000Z',
    });
    assert.equal(bar.is_final, true);
    const upd = buildEnvelope(ev('updated_bars', 'AAPL', { t: '2026-01-02T15:00:00Z' }), {
      feed: 'sip',
      seq: 1,
      dedupKey: 'k',
      ingestMicros: 0,
    });
    assert.equal(upd.is_final, false);
    const trade = buildEnvelope(ev('trades', 'AAPL', { t: '2026-01-02T15:00:00Z' }), {
      feed: 'sip',
      seq: 1,
      dedupKey: 'k',
      ingestMicros: 0,
    });
    assert.equal(trade.window, null);
    assert.equal(trade.feed, 'sip');
    const tu = buildEnvelope(ev('trade_updates', 'AAPL', { event: 'fill' }), {
      feed: 'sip',
      seq: 1,
      dedupKey: 'k',
      ingestMicros: 0,
    });
    assert.equal(tu.feed, 'alpaca');
  });

  test('the schema validator rejects what the schema forbids', () => {
    const good = buildEnvelope(ev('trades', 'AAPL', { t: 'x' }), {
      feed: 'iex',
      seq: 1,
      dedupKey: 'k',
      ingestMicros: 0,
    });
    assert.notDeepEqual(envelopeErrors({ ...good, channel: 'updatedBars' }), []);
    assert.notDeepEqual(envelopeErrors({ ...good, extra: 1 }), []);
    assert.notDeepEqual(envelopeErrors({ ...good, ingest_ts: '2026-01-02T15:00:00Z' }), []);
    assert.notDeepEqual(envelopeErrors({ ...good, seq: 1.5 }), []);
    assert.notDeepEqual(envelopeErrors({ ...good, window: { size: '5m', start: 'a', end: 'b' } }), []);
  });

  test('generated TypeScript is not stale', async () => {
    for (const target of TARGETS) {
      const committed = await readFile(new URL(`../../../../${target.output}`, import.meta.url), 'utf8');
      assert.equal(
        committed,
        await render(target),
        `${target.output} is stale: run node scripts/generate-types.ts`,
      );
    }
  });
});

describe('seq (design §4.4)', () => {
  test('per (channel, symbol), +1 per event, starting at process start ms × 1000', () => {
    const seq = new SeqAllocator(T0);
    assert.equal(seq.next('trades', 'AAPL'), T0 * 1000);
    assert.equal(seq.next('trades', 'AAPL'), T0 * 1000 + 1);
    assert.equal(seq.next('trades', 'MSFT'), T0 * 1000);
    assert.equal(seq.next('quotes', 'AAPL'), T0 * 1000);
    assert.equal(seq.next('trades', 'AAPL'), T0 * 1000 + 2);
  });

  test('a restart continues above the previous process (fewer than 1000 events per ms of uptime per key)', () => {
    const before = new SeqAllocator(T0);
    let last = 0;
    for (let i = 0; i < 999; i += 1) last = before.next('trades', 'AAPL');
    const after = new SeqAllocator(T0 + 1);
    assert.ok(after.next('trades', 'AAPL') > last);
  });
});

describe('status events (design §3.4)', () => {
  test('each state change becomes a valid envelope on the status topic, keyed by stream name', () => {
    const sink = new MemorySink();
    const publish = createStatusPublisher({
      feed: 'iex',
      topic: 'torghut.status.v1',
      sink,
      seq: new SeqAllocator(T0),
      nowMicros: () => T0 * 1000,
      logger: pino({ level: 'silent' }),
    });
    const states: StreamState[] = [
      { stream: 'market_data', status: 'connecting', reason: null, errorClass: null, attempt: 1, atMs: T0 },
      {
        stream: 'market_data',
        status: 'error',
        reason: 'alpaca_406_connection_limit',
        errorClass: 'alpaca_406_second_connection',
        attempt: 1,
        nextAttemptAtMs: T0 + 90_000,
        atMs: T0 + 1,
      },
      {
        stream: 'trade_updates',
        status: 'healthy',
        reason: null,
        errorClass: null,
        attempt: 0,
        atMs: T0 + 2,
      },
    ];
    for (const s of states) publish(s);
    assert.deepEqual(
      sink.records.map((r) => [r.topic, r.key]),
      [
        ['torghut.status.v1', 'market_data'],
        ['torghut.status.v1', 'market_data'],
        ['torghut.status.v1', 'trade_updates'],
      ],
    );
    const envelopes = sink.records.map((r) => JSON.parse(r.value));
    for (const e of envelopes) assert.deepEqual(envelopeErrors(e), []);
    assert.deepEqual(envelopes[1].payload, {
      stream: 'market_data',
      status: 'error',
      reason: 'alpaca_406_connection_limit',
      error_class: 'alpaca_406_second_connection',
      attempt: 1,
      next_attempt_at: new Date(T0 + 90_000).toISOString(),
      ts: new Date(T0 + 1).toISOString(),
      feed: 'iex',
    });
    assert.deepEqual(
      envelopes.map((e) => e.seq),
      [T0 * 1000, T0 * 1000 + 1, T0 * 1000],
    );
  });
});
