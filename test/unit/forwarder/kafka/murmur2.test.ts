/**
 * The sink's own key partitioner: Kafka's murmur2 (the Java client's values), the Java client's
 * partition formula, and agreement with kafkajs's default partitioner (which the forwarder used
 * before), so keys stay on the partitions they always had.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import kafkajs from 'kafkajs';
import { murmur2, partitionForKey } from '../../../../forwarder/kafka/murmur2.ts';

test('murmur2 returns the values of Kafka Utils.murmur2 (UtilsTest vectors)', () => {
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, want] of cases) assert.equal(murmur2(Buffer.from(input)), want, input);
});

test('partitionForKey picks the partition kafkajs DefaultPartitioner (Java-compatible) picks', () => {
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  for (const count of [1, 3, 7, 12]) {
    const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    for (let i = 0; i < 2_000; i++) {
      // every tail length (0-3 bytes), multi-byte UTF-8 and keys whose hash has the sign bit set
      const key = `${'SYM'.slice(0, i % 4)}${i}${'é'.repeat(i % 3)}`;
      const want = partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
      assert.equal(partitionForKey(key, count), want, `${key} over ${count} partitions`);
    }
  }
});

test('partitionForKey stays in range for an empty key and a 262,144-character one', () => {
  assert.equal(partitionForKey('', 3), (murmur2(Buffer.alloc(0)) & 0x7fffffff) % 3);
  const p = partitionForKey('X'.repeat(262_144), 5);
  assert.ok(Number.isInteger(p) && p >= 0 && p < 5);
});
