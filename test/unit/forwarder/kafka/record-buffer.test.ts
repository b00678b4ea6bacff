/** The sink's FIFO buffer: byte accounting, batches capped by bytes, order kept across internal compaction. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordBuffer, recordBytes, toOutBatch } from '../../../../forwarder/kafka/record-buffer.ts';

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
