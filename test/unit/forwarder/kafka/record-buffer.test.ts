/** The sink's FIFO buffer: byte accounting, batches capped by bytes, order kept across internal compaction. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BufferedRecord,
  halves,
  outRecordsOf,
  RecordBuffer,
  recordBytes,
  toOutBatch,
} from '../../../../forwarder/kafka/record-buffer.ts';

test('recordBytes counts key, value, headers and a fixed overhead', () => {
  assert.equal(recordBytes({ topic: 't', key: 'AAPL', value: 'é' }), 4 + 2 + 16);
  assert.equal(
    recordBytes({ topic: 't', key: 'A', value: 'v', headers: { ab: 'cd' } }),
    1 + 1 + 16 + 2 + 2 + 4,
  );
});

test('batches take the longest head run within maxBytes (at least one record) and keep order across compaction', () => {
  const b = new RecordBuffer();
  const n = 5000;
  for (let i = 0; i < n; i++) {
    const record = { topic: `t${i % 2}`, key: `k${i % 7}`, value: 'x'.repeat(i % 50) };
    b.push({ id: i + 1, record, bytes: recordBytes(record), enqueuedAt: 0 });
  }
  const total = b.bytes;
  const seen: number[] = [];
  let taken = 0;
  for (;;) {
    const batch = b.takeBatch(700);
    if (!batch) break;
    assert.ok(batch.bytes <= 700 || batch.records.length === 1);
    assert.equal(
      batch.bytes,
      batch.records.reduce((s, r) => s + r.bytes, 0),
    );
    assert.equal(batch.lastId, batch.records[batch.records.length - 1]?.id);
    taken += batch.bytes;
    seen.push(...batch.records.map((r) => r.id));
    assert.equal(b.bytes, total - taken);
  }
  assert.deepEqual(
    seen,
    Array.from({ length: n }, (_, i) => i + 1),
  );
  assert.equal(b.length, 0);
  assert.equal(b.takeBatch(700), null);
});

test('a record larger than maxBytes goes out alone', () => {
  const b = new RecordBuffer();
  const big = { topic: 't', key: 'k', value: 'x'.repeat(2000) };
  b.push({ id: 1, record: big, bytes: recordBytes(big), enqueuedAt: 0 });
  b.push({ id: 2, record: { topic: 't', key: 'k', value: 'y' }, bytes: 18, enqueuedAt: 0 });
  assert.deepEqual(
    b.takeBatch(100)?.records.map((r) => r.id),
    [1],
  );
  assert.deepEqual(
    b.takeBatch(100)?.records.map((r) => r.id),
    [2],
  );
});

test('toOutBatch groups per topic, first-seen topic order, records in order, headers only when present', () => {
  const recs = [
    { topic: 'b', key: '1', value: 'v1' },
    { topic: 'a', key: '2', value: 'v2', headers: { h: 'x' } },
    { topic: 'b', key: '3', value: 'v3' },
  ].map((record, i) => ({ id: i + 1, record, bytes: recordBytes(record), enqueuedAt: 0 }));
  assert.deepEqual(toOutBatch(recs), {
    topicMessages: [
      {
        topic: 'b',
        messages: [
          { key: '1', value: 'v1' },
          { key: '3', value: 'v3' },
        ],
      },
      { topic: 'a', messages: [{ key: '2', value: 'v2', headers: { h: 'x' } }] },
    ],
  });
});

const buffered = (id: number, topic: string, value: string): BufferedRecord => {
  const record = { topic, key: 'K', value };
  return { id, record, bytes: recordBytes(record), enqueuedAt: 0 };
};

test('halves cut by bytes into two non-empty runs in order; the head covers ids up to the tail', () => {
  // 17 + value length bytes each
  const rs = [
    buffered(4, 't', 'x'.repeat(83)),
    buffered(6, 'u', 'a'),
    buffered(7, 't', 'b'),
    buffered(8, 't', 'c'),
  ];
  const [head, tail] = halves(rs, 9);
  assert.deepEqual(
    head.records.map((r) => r.id),
    [4],
  );
  assert.deepEqual(
    tail.records.map((r) => r.id),
    [6, 7, 8],
  );
  assert.equal(head.lastId, 5, 'id 5 (already acked) lies between the halves');
  assert.equal(tail.lastId, 9);
  assert.equal(
    head.bytes + tail.bytes,
    rs.reduce((n, r) => n + r.bytes, 0),
  );
  const [a, b] = halves([buffered(1, 't', 'a'), buffered(2, 't', 'b')], 2);
  assert.deepEqual([a.records.length, b.records.length, a.lastId], [1, 1, 1]);
  assert.throws(() => halves([buffered(1, 't', 'a')], 1), /at least 2 records, got 1/);
});

test("outRecordsOf pairs each record with its batch's out message across topics", () => {
  const b = new RecordBuffer();
  for (const [i, t] of ['t', 'u', 't', 'u', 'u'].entries()) b.push(buffered(i + 1, t, `v${i + 1}`));
  const batch = b.takeBatch(1 << 20);
  assert.ok(batch);
  const outs = outRecordsOf(batch);
  assert.deepEqual(
    outs.map((m) => m.value),
    ['v1', 'v2', 'v3', 'v4', 'v5'],
  );
  const all = new Set(batch.out.topicMessages.flatMap((t) => t.messages));
  assert.ok(
    outs.every((m) => all.has(m)),
    'the very message objects of batch.out',
  );
});
