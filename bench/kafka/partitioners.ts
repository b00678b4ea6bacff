/**
 * Cost of choosing a partition for one key, by key length: the sink's murmur2.ts, kafkajs 2.2.4's
 * DefaultPartitioner and @platformatic/kafka's murmur2. Lengths grow 4× at a time; a partitioner
 * is not tried on longer keys once one call took more than 500 ms (the next would take up to 16×
 * that on a quadratic curve). librdkafka hashes in C, in the producer thread, not measured here.
 */
import { murmur2 as platformaticMurmur2 } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { partitionForKey } from '../../forwarder/kafka/murmur2.ts';

const LENGTHS = [16, 1_024, 4_096, 16_384, 65_536, 262_144];

export async function measurePartitioners(): Promise<string[]> {
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  const kafkajsPartitioner = kafkajs.Partitioners.DefaultPartitioner();
  const candidates: [string, (key: string) => number][] = [
    ['sink murmur2.ts', (key) => partitionForKey(key, 3)],
    [
      'kafkajs 2.2.4',
      (key) => kafkajsPartitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } }),
    ],
    ['@platformatic/kafka', (key) => (platformaticMurmur2(Buffer.from(key)) & 0x7fffffff) % 3],
  ];
  const lines = [`${'partitioner'.padEnd(22)}${LENGTHS.map((n) => String(n).padStart(10)).join('')}`];
  for (const [name, fn] of candidates) {
    for (let i = 0; i < 200; i++) fn(`WARM${i}`);
    const cells: string[] = [];
    let stopped = false;
    for (const n of LENGTHS) {
      if (stopped) {
        cells.push('skipped'.padStart(10));
        continue;
      }
      const key = 'S'.repeat(n);
      const t0 = performance.now();
      fn(key);
      const ms = performance.now() - t0;
      cells.push(ms.toFixed(ms < 10 ? 3 : 0).padStart(10));
      if (ms > 500) stopped = true;
      await new Promise((r) => setImmediate(r));
    }
    lines.push(`${name.padEnd(22)}${cells.join('')}`);
  }
  return lines;
}
