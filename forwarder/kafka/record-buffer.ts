/**
 * FIFO of accepted records with byte accounting. Records leave only from the head, in batches of
 * at most maxBytes (at least one record), so order is kept by construction.
 */
import type { OutBatch, OutRecord } from './client.ts';
import type { ProducedRecord } from './sink.ts';

export interface BufferedRecord {
  id: number;
  record: ProducedRecord;
  bytes: number;
  enqueuedAt: number;
}

export interface Batch {
  records: BufferedRecord[];
  bytes: number;
  /** id of the last record: when this batch is acked, everything up to it is. */
  lastId: number;
  out: OutBatch;
}

/** Approximate wire size of a record (key, value, headers and per-record overhead). */
export function recordBytes(r: ProducedRecord): number {
  let n = Buffer.byteLength(r.key) + Buffer.byteLength(r.value) + 16;
  if (r.headers)
    for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 4;
  return n;
}

export function toOutBatch(records: BufferedRecord[]): OutBatch {
  const byTopic = new Map<string, OutBatch['topicMessages'][number]>();
  for (const { record } of records) {
    let entry = byTopic.get(record.topic);
    if (!entry) {
      entry = { topic: record.topic, messages: [] };
      byTopic.set(record.topic, entry);
    }
    entry.messages.push(
      record.headers
        ? { key: record.key, value: record.value, headers: record.headers }
        : { key: record.key, value: record.value },
    );
  }
  return { topicMessages: [...byTopic.values()] };
}

export class RecordBuffer {
  private items: BufferedRecord[] = [];
  private head = 0;
  private byteCount = 0;

  get bytes(): number {
    return this.byteCount;
  }
  get length(): number {
    return this.items.length - this.head;
  }
  oldest(): BufferedRecord | undefined {
    return this.items[this.head];
  }

  push(item: BufferedRecord): void {
    this.items.push(item);
    this.byteCount += item.bytes;
  }

  /** Removes and returns the longest head run that fits maxBytes (always at least one record). */
  takeBatch(maxBytes: number): Batch | null {
    if (this.length === 0) return null;
    const records: BufferedRecord[] = [];
    let bytes = 0;
    while (this.head < this.items.length) {
      const next = this.items[this.head] as BufferedRecord;
      if (records.length > 0 && bytes + next.bytes > maxBytes) break;
      records.push(next);
      bytes += next.bytes;
      this.head++;
    }
    this.byteCount -= bytes;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    const last = records[records.length - 1] as BufferedRecord;
    return { records, bytes, lastId: last.id, out: toOutBatch(records) };
  }
}

/** A batch of these records; `lastId` may exceed the last record's id when acked records follow it. */
export function batchOf(records: BufferedRecord[], lastId: number): Batch {
  const bytes = records.reduce((n, r) => n + r.bytes, 0);
  return { records, bytes, lastId, out: toOutBatch(records) };
}

/** The batch's out message for each of its records, in record order (toOutBatch groups per topic). */
export function outRecordsOf(batch: Batch): OutRecord[] {
  const cursor = new Map(batch.out.topicMessages.map((t) => [t.topic, { messages: t.messages, i: 0 }]));
  return batch.records.map((r) => {
    const c = cursor.get(r.record.topic);
    const m = c?.messages[c.i++];
    if (!m) throw new Error(`batch out messages do not match its records (topic ${r.record.topic})`);
    return m;
  });
}

/**
 * Splits records (at least two, in order) into a head and a tail of about half the bytes each,
 * both non-empty. The head's lastId ends just before the tail's first record (records between
 * them, already acked, are covered); the tail keeps `lastId`.
 */
export function halves(records: BufferedRecord[], lastId: number): [Batch, Batch] {
  if (records.length < 2) throw new Error(`halves needs at least 2 records, got ${records.length}`);
  const total = records.reduce((n, r) => n + r.bytes, 0);
  let cut = 0;
  let acc = 0;
  while (cut < records.length - 1 && (acc + (records[cut] as BufferedRecord).bytes) * 2 <= total) {
    acc += (records[cut] as BufferedRecord).bytes;
    cut++;
  }
  if (cut === 0) cut = 1;
  const head = records.slice(0, cut);
  const tail = records.slice(cut);
  return [batchOf(head, (tail[0] as BufferedRecord).id - 1), batchOf(tail, lastId)];
}
