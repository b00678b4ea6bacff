/**
 * Kafka's default key partitioner, as the Java client computes it
 * (org.apache.kafka.common.utils.Utils.murmur2 and toPositive; BuiltInPartitioner.partitionForKey):
 * partition = (murmur2(utf8(key)) & 0x7fffffff) % partitions. The same key lands on the same
 * partition whichever client (Java, librdkafka's murmur2_random, kafkajs) produced it.
 *
 * 32-bit integer arithmetic (Math.imul), one pass over the bytes: linear in the key's length. Both
 * kafkajs 2.2.4's and @platformatic/kafka 2.12's partitioners are super-linear in it (kafkajs via
 * string handling, platformatic's murmur2 keeps an unbounded BigInt), which is why the sink
 * assigns partitions itself.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of the bytes, as a signed 32-bit integer (what Utils.murmur2 returns). */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (data[whole + 2] as number) << 16;
    if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
    h ^= data[whole] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client picks for this key among `partitions` (> 0) partitions. */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}
