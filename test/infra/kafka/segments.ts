/**
 * Reads record-batch headers straight from a local broker's log segments, to check what the
 * producer really sent (e.g. the compression codec) without trusting any client library.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaInfo } from './info.ts';

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export interface BatchHeader {
  baseOffset: bigint;
  records: number;
  codec: (typeof CODEC_NAMES)[number] | `unknown(${number})`;
  producerId: bigint;
  baseSequence: number;
}

/** Batch headers of one partition, in log order (magic v2 record batches). */
export async function readBatchHeaders(
  info: KafkaInfo,
  topic: string,
  partition = 0,
): Promise<BatchHeader[]> {
  const dir = join(info.data.dir, 'data', `${topic}-${partition}`);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const out: BatchHeader[] = [];
  for (const f of files) {
    const buf = await readFile(join(dir, f));
    let pos = 0;
    while (pos + 61 <= buf.length) {
      const batchLength = buf.readInt32BE(pos + 8);
      if (batchLength <= 0 || pos + 12 + batchLength > buf.length) break;
      const attributes = buf.readInt16BE(pos + 21);
      const codecId = attributes & 0x07;
      out.push({
        baseOffset: buf.readBigInt64BE(pos),
        codec: CODEC_NAMES[codecId] ?? `unknown(${codecId})`,
        producerId: buf.readBigInt64BE(pos + 43),
        baseSequence: buf.readInt32BE(pos + 53),
        records: buf.readInt32BE(pos + 57),
      });
      pos += 12 + batchLength;
    }
  }
  return out;
}
