/**
 * createTopics on the shared real broker: many concurrent callers (as concurrent test files are),
 * topics that already exist, and a refused topic name.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTopics, kafkaFromEnv, readTopic, testKafka, uniqueTopic, withAdmin } from './index.ts';

const kafka = kafkaFromEnv();

async function leadersOf(topics: string[]): Promise<Map<string, number[]>> {
  const md = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics }));
  return new Map(md.topics.map((t) => [t.name, t.partitions.map((p) => p.leader).sort()]));
}

describe('createTopics', () => {
  test('concurrent callers with overlapping topics all resolve with a serving leader for every partition', async () => {
    const shared = uniqueTopic('ct.shared');
    const callers = Array.from({ length: 6 }, (_, i) => [
      { topic: uniqueTopic(`ct.c${i}a`), numPartitions: 3 },
      { topic: uniqueTopic(`ct.c${i}b`), numPartitions: 2 },
      { topic: shared, numPartitions: 3 },
    ]);
    // Each caller writes to every partition of its topics as soon as its own createTopics resolved.
    await Promise.all(
      callers.map(async (specs, i) => {
        await createTopics(kafka, specs);
        const producer = testKafka(kafka).producer();
        await producer.connect();
        try {
          await producer.sendBatch({
            topicMessages: specs.map((s) => ({
              topic: s.topic,
              messages: Array.from({ length: s.numPartitions }, (_, p) => ({
                partition: p,
                key: `c${i}`,
                value: `${s.topic}/${p}`,
              })),
            })),
          });
        } finally {
          await producer.disconnect();
        }
      }),
    );
    const topics = callers.flat().map((s) => s.topic);
    const leaders = await leadersOf([...new Set(topics)]);
    for (const s of callers.flat()) {
      const l = leaders.get(s.topic);
      assert.equal(l?.length, s.numPartitions, `${s.topic} partitions`);
      assert.ok(
        l.every((x) => x >= 0),
        `${s.topic} has a leader for every partition`,
      );
    }
    const sharedRecords = await readTopic(kafka, shared, { count: 18 });
    assert.equal(sharedRecords.length, 18, 'the shared topic got 3 records from each of the 6 callers');
  });

  test('a topic that already exists counts as created, alone or beside new ones', async () => {
    const existing = uniqueTopic('ct.existing');
    const fresh = uniqueTopic('ct.fresh');
    await createTopics(kafka, [{ topic: existing, numPartitions: 2 }]);
    await createTopics(kafka, [{ topic: existing, numPartitions: 2 }]);
    await createTopics(kafka, [{ topic: existing, numPartitions: 2 }, fresh]);
    const leaders = await leadersOf([existing, fresh]);
    assert.equal(leaders.get(existing)?.length, 2);
    assert.equal(leaders.get(fresh)?.length, 1);
  });

  test('a topic the broker refuses fails at once with the broker reason, not after the deadline', async () => {
    await assert.rejects(createTopics(kafka, ['not a valid topic!'], 600_000), /^Error: createTopics: .*/);
  });
});
