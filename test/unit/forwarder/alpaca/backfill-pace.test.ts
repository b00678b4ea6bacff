/**
 * Paced backfill and gap fill (issue 10.4): REST pages reach the sink slice by slice, each only
 * while the sink's buffer is at or below the high-water mark, and the next page is fetched only
 * after the previous one went in. A backfill several times larger than the buffer arrives
 * complete, in order, with nothing refused, against a sink whose acks come only when the test
 * gives them (a slow Kafka).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGapFiller, runStartupBackfill } from '../../../../forwarder/alpaca/backfill.ts';
import { createRestClient, type FetchLike } from '../../../../forwarder/alpaca/rest-client.ts';
import { normaliseSubscriptions } from '../../../../forwarder/alpaca/subscriptions.ts';
import type { AlpacaEvent } from '../../../../forwarder/alpaca/types.ts';
import { backfillHighWaterBytes, createBackfillPace } from '../../../../forwarder/app/backfill-pace.ts';
import { createBatchingSink } from '../../../../forwarder/kafka/batching-sink.ts';
import { FakeClient, ManualTimers, settle, values } from '../../../support/kafka-fakes.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

const PAGES = 4;
const PER_PAGE = 500;
const MAX_BUFFER = 40_000;
const minute = (n: number) => new Date(Date.UTC(2026, 0, 5, 8, 0, 0) + n * 60_000).toISOString();

/** REST serving PAGES pages of PER_PAGE items; `fetched` counts page requests. */
function pagedRest(kind: 'bars' | 'trades') {
  let fetched = 0;
  const item = (n: number) =>
    kind === 'bars'
      ? { t: minute(n), o: 1, h: 2, l: 0.5, c: 1 + n / 1000, v: 10 + n, n: 2, vw: 1.1 }
      : { t: minute(n), x: 'V', p: 1 + n / 1000, s: 100, i: n + 1, c: ['@'], z: 'C' };
  const fetch: FetchLike = async (url) => {
    const token = new URL(url).searchParams.get('page_token');
    const page = token === null ? 0 : Number(token);
    fetched += 1;
    const items = Array.from({ length: PER_PAGE }, (_, i) => item(page * PER_PAGE + i));
    const body = { [kind]: { AAPL: items }, next_page_token: page + 1 < PAGES ? String(page + 1) : null };
    return new Response(JSON.stringify(body), { status: 200 });
  };
  const rest = createRestClient(
    { dataUrl: 'https://data.example', credentials: { keyId: 'PK', secretKey: 'SK' }, feed: 'iex' },
    { logger: silentLogger, fetch, clock: createManualClock(), random: () => 0 },
  );
  return { rest, fetched: () => fetched };
}

/** The real sink engine over a Kafka client that acks only when the driver says so. */
function slowSink() {
  const client = new FakeClient();
  const timers = new ManualTimers();
  const sink = createBatchingSink(
    client,
    { topics: ['bars', 'trades'], lingerMs: 30, batchBytes: 8_000, maxBufferBytes: MAX_BUFFER },
    { logger: silentLogger, timers },
  );
  let refused = 0;
  const onEvents = (batch: AlpacaEvent[]) => {
    for (const e of batch)
      if (!sink.send({ topic: e.channel, key: e.symbol, value: JSON.stringify(e.payload) })) refused += 1;
  };
  return { client, timers, sink, onEvents, refused: () => refused };
}

/**
 * Runs `work` to its end, acking one batch per step (a slow broker) and recording, at each step,
 * the buffer level and how many pages were fetched against how many batches were acked.
 */
async function drive(s: ReturnType<typeof slowSink>, fetched: () => number, work: Promise<void>) {
  let done = false;
  void work.then(() => {
    done = true;
  });
  const delivered: string[] = [];
  let acked = 0;
  let maxBuffered = 0;
  const ackedAtFetch = new Map<number, number>();
  for (let step = 0; !done || s.client.sends.length > 0 || s.sink.bufferedBytes() > 0; step++) {
    assert.ok(step < 10_000, 'the backfill made no progress');
    await settle();
    maxBuffered = Math.max(maxBuffered, s.sink.bufferedBytes());
    if (!ackedAtFetch.has(fetched())) ackedAtFetch.set(fetched(), acked);
    const send = s.client.sends.shift();
    if (send) {
      delivered.push(...values(send.batch));
      send.resolve();
      acked += 1;
    } else s.timers.advance(30);
  }
  return { delivered, maxBuffered, ackedAtFetch };
}

test('start-up backfill several times the buffer: paced page by page, nothing refused, every bar once in order', async () => {
  const r = pagedRest('bars');
  const s = slowSink();
  await s.sink.start();
  const work = runStartupBackfill({
    rest: r.rest,
    logger: silentLogger,
    subscriptions: normaliseSubscriptions({ bars: ['AAPL'] }),
    nowMs: Date.UTC(2026, 0, 5, 20, 0, 0),
    lookbackMinutes: 720,
    onEvents: s.onEvents,
    pace: createBackfillPace(s.sink, MAX_BUFFER),
  });
  const out = await drive(s, r.fetched, work);
  assert.equal(s.refused(), 0, 'no record refused');
  assert.equal(s.sink.health().overflowedRecords, 0);
  assert.equal(r.fetched(), PAGES);
  const expected = Array.from({ length: PAGES * PER_PAGE }, (_, n) => minute(n));
  assert.deepEqual(
    out.delivered.map((v) => JSON.parse(v.slice(v.indexOf('/', 'bars/'.length) + 1)).t),
    expected,
    'every bar once, in order',
  );
  assert.ok(PER_PAGE * 100 > MAX_BUFFER, 'a page alone is larger than the buffer');
  // Paced: never far above the mark (one slice of 100 bars of ~130 bytes), and each next page
  // was fetched only after batches of the one before it had been acked.
  assert.ok(
    out.maxBuffered <= backfillHighWaterBytes(MAX_BUFFER) + 100 * 200,
    `buffer peaked at ${out.maxBuffered}`,
  );
  for (let page = 2; page <= PAGES; page++)
    assert.ok(
      (out.ackedAtFetch.get(page) ?? 0) > (out.ackedAtFetch.get(page - 1) ?? 0),
      `page ${page} was fetched before any batch of page ${page - 1} was acked`,
    );
});

test('gap fill of trades larger than the buffer: paced, nothing refused, every trade once', async () => {
  const r = pagedRest('trades');
  const s = slowSink();
  await s.sink.start();
  const filler = createGapFiller({
    rest: r.rest,
    logger: silentLogger,
    subscriptions: () => normaliseSubscriptions({ trades: ['AAPL'] }),
    onEvents: s.onEvents,
    trades: true,
    pace: createBackfillPace(s.sink, MAX_BUFFER),
  });
  filler.fill({ fromMs: Date.UTC(2026, 0, 5, 8, 0, 0), toMs: Date.UTC(2026, 0, 5, 20, 0, 0) });
  const out = await drive(s, r.fetched, filler.idle());
  assert.equal(s.refused(), 0);
  assert.equal(s.sink.health().overflowedRecords, 0);
  const ids = out.delivered.map((v) => JSON.parse(v.slice(v.indexOf('/', 'trades/'.length) + 1)).i);
  assert.deepEqual(
    ids,
    Array.from({ length: PAGES * PER_PAGE }, (_, n) => n + 1),
  );
});
