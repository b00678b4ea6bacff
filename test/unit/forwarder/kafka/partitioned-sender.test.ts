/** One produce call per leader, and retries that re-send only the partitions not yet acked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutBatch } from '../../../../forwarder/kafka/client.ts';
import {
  createPartitionedSender,
  type LeaderTopicMessages,
  type PartitionInfo,
} from '../../../../forwarder/kafka/partitioned-sender.ts';
import { classifyKafkaError } from '../../../../lib/kafka/classify.ts';

function harness(initial: Record<string, PartitionInfo[]>) {
  let cluster = new Map(Object.entries(initial));
  let clock = 0;
  const fetches: string[][] = [];
  const calls: LeaderTopicMessages[][] = [];
  let failLeader: number | null = null;
  const sender = createPartitionedSender<PartitionInfo>({
    fetchPartitions: async (topics) => {
      fetches.push(topics);
      return new Map(topics.filter((t) => cluster.has(t)).map((t) => [t, cluster.get(t) as PartitionInfo[]]));
    },
    // partition = first char code of the key modulo the partition count
    partitionFor: (_t, partitions, r) => r.key.charCodeAt(0) % partitions.length,
    sendToLeader: async (tm) => {
      calls.push(tm);
      const leaders = new Set(
        tm.flatMap((t) =>
          t.messages.map((m) => cluster.get(t.topic)?.find((p) => p.partitionId === m.partition)?.leader),
        ),
      );
      if (failLeader !== null && leaders.has(failLeader)) {
        throw Object.assign(new Error('leader gone'), {
          name: 'KafkaJSConnectionError',
          code: 'ECONNREFUSED',
        });
      }
    },
    now: () => clock,
    maxAgeMs: 1000,
  });
  return {
    sender,
    fetches,
    calls,
    setCluster: (c: Record<string, PartitionInfo[]>) => {
      cluster = new Map(Object.entries(c));
    },
    failOn: (l: number | null) => {
      failLeader = l;
    },
    tick: (ms: number) => {
      clock += ms;
    },
  };
}

const twoLeaders = {
  t: [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: partitionId % 2 === 0 ? 1 : 2 })),
};
// keys: 'A'=65%4=1, 'B'=66%4=2, 'C'=67%4=3, 'D'=68%4=0
const batch = (): OutBatch => ({
  topicMessages: [
    {
      topic: 't',
      messages: ['A1', 'B1', 'C1', 'D1', 'A2', 'B2'].map((v) => ({ key: v.slice(0, 1), value: v })),
    },
  ],
});
const sent = (calls: LeaderTopicMessages[][]) =>
  calls.map((c) => c.flatMap((t) => t.messages.map((m) => `${m.partition}:${m.value}`)));

test('one call per leader, each with only its partitions, per-partition order kept', async () => {
  const h = harness(twoLeaders);
  await h.sender.send(batch());
  // partitions 1 and 3 lead on broker 2, partitions 0 and 2 on broker 1
  assert.deepEqual(sent(h.calls), [
    ['1:A1', '1:A2', '3:C1'],
    ['2:B1', '2:B2', '0:D1'],
  ]);
  assert.deepEqual(h.fetches, [['t']]);
});

test('after a partial failure, the retry of the same batch sends only the failed partitions, to their new leader', async () => {
  const h = harness(twoLeaders);
  const b = batch();
  h.failOn(2);
  const err = await h.sender.send(b).then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.equal(classifyKafkaError(err, 'produce').reason, 'kafka_broker_unreachable');
  // leader 2 died; its partitions moved to leader 1
  h.setCluster({ t: [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 })) });
  h.failOn(null);
  h.calls.length = 0;
  await h.sender.send(b);
  assert.deepEqual(
    sent(h.calls),
    [['1:A1', '1:A2', '3:C1']],
    'partitions 0 and 2 were acked before and are not re-sent',
  );
  assert.deepEqual(h.fetches, [['t'], ['t']], 'metadata refreshed after the failure');
});

test('a retried batch keeps its partition assignment even if the partition count changed', async () => {
  const h = harness(twoLeaders);
  const b = batch();
  h.failOn(1);
  await h.sender.send(b).catch(() => undefined);
  h.setCluster({ t: [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 2 })) });
  h.failOn(null);
  h.calls.length = 0;
  await h.sender.send(b);
  assert.deepEqual(sent(h.calls), [['2:B1', '2:B2', '0:D1']]);
  // a new batch uses the new count: 'A' = 65 % 6 = 5
  h.calls.length = 0;
  await h.sender.send({ topicMessages: [{ topic: 't', messages: [{ key: 'A', value: 'A3' }] }] });
  assert.deepEqual(sent(h.calls), [['5:A3']]);
});

test('metadata is refreshed when older than maxAge, and a topic without partitions is a missing-topic error', async () => {
  const h = harness(twoLeaders);
  await h.sender.send(batch());
  await h.sender.send(batch());
  assert.equal(h.fetches.length, 1);
  h.tick(1000);
  await h.sender.send(batch());
  assert.equal(h.fetches.length, 2);
  const err = await h.sender
    .send({ topicMessages: [{ topic: 'gone', messages: [{ key: 'A', value: 'x' }] }] })
    .then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
  assert.equal(classifyKafkaError(err, 'produce').reason, 'kafka_topic_missing');
});

test('prime stores metadata from the topic check, so the first send needs no fetch', async () => {
  const h = harness(twoLeaders);
  h.sender.prime(new Map(Object.entries(twoLeaders)));
  await h.sender.send(batch());
  assert.deepEqual(h.fetches, []);
});

test('a leader call that fails but names partitions it still acked: the retry skips those, delivered() lists their records', async () => {
  const partitions = { t: [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 })) };
  const calls: LeaderTopicMessages[][] = [];
  let refuse = true;
  const sender = createPartitionedSender<PartitionInfo>({
    fetchPartitions: async (topics) => new Map(topics.map((t) => [t, partitions.t])),
    partitionFor: (_t, p, r) => r.key.charCodeAt(0) % p.length,
    sendToLeader: async (tm) => {
      calls.push(tm);
      if (refuse) throw Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE', acked: [1, 3] });
    },
    // partitions 1 ('A') and 3 ('C') answered without error; 5 was not in this call and is ignored
    ackedOnFailure: (err) =>
      [...(err as { acked: number[] }).acked, 5].map((partition) => ({ topic: 't', partition })),
    now: () => 0,
  });
  const b = batch();
  assert.equal(sender.delivered(b).size, 0, 'nothing is delivered before a send');
  await sender.send(b).catch(() => undefined);
  assert.deepEqual(
    [...sender.delivered(b)].map((r) => r.value),
    ['A1', 'A2', 'C1'],
    "the batch's own records of the acked partitions",
  );
  assert.ok([...sender.delivered(b)].every((r) => b.topicMessages[0]?.messages.includes(r)));
  refuse = false;
  calls.length = 0;
  await sender.send(b);
  assert.deepEqual(sent(calls), [['2:B1', '2:B2', '0:D1']], 'only the partitions not acked');
  assert.equal(sender.delivered(b).size, 6, 'all of it once the send resolved');
});
