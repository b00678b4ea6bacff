/**
 * Reads what the forwarder delivered back from Kafka after a run (so no consumer competes with
 * the forwarder for CPU while it runs): record count per topic and, per envelope, the latency
 * ingest_ts − event_ts (Alpaca event → forwarder) and broker LogAppendTime − event_ts (Alpaca
 * event → stored in Kafka). The topics are created with message.timestamp.type=LogAppendTime.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaInfo } from '../../test/infra/kafka/index.ts';
import { testKafka, withAdmin } from '../../test/infra/kafka/index.ts';
import { rfc3339ToMs } from './stats.ts';

export interface ReadBack {
  records: number;
  /** ingest_ts − event_ts, ms, trades/quotes/corrections (bars carry the minute start as t). */
  ingestLagMs: number[];
  /** Kafka LogAppendTime − event_ts, ms, same records. */
  kafkaLagMs: number[];
  /** Latest LogAppendTime of any record (epoch ms). */
  lastAppendMs: number;
}

const LIVE_CHANNELS = new Set(['trades', 'quotes']);

export async function readBack(info: KafkaInfo, topics: string[], timeoutMs = 120_000): Promise<ReadBack> {
  const ends = new Map<string, bigint>();
  await withAdmin(info, async (admin) => {
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  });
  const out: ReadBack = { records: 0, ingestLagMs: [], kafkaLagMs: [], lastAppendMs: 0 };
  const reached = new Map<string, bigint>();
  const done = (): boolean => [...ends].every(([k, end]) => end === 0n || (reached.get(k) ?? 0n) >= end);
  if (done()) return out;
  const consumer = testKafka(info).consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`read-back: ${out.records} records after ${timeoutMs} ms, end offsets not reached`),
          ),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              out.records += 1;
              const appendMs = Number(m.timestamp);
              if (appendMs > out.lastAppendMs) out.lastAppendMs = appendMs;
              const env = JSON.parse(m.value?.toString() ?? '{}') as {
                channel?: string;
                event_ts?: string;
                ingest_ts?: string;
              };
              if (env.channel === undefined || !LIVE_CHANNELS.has(env.channel) || env.event_ts === undefined)
                continue;
              const eventMs = rfc3339ToMs(env.event_ts);
              out.ingestLagMs.push(rfc3339ToMs(env.ingest_ts ?? '') - eventMs);
              out.kafkaLagMs.push(appendMs - eventMs);
            }
            const last = batch.messages.at(-1);
            if (last !== undefined)
              reached.set(`${batch.topic}/${batch.partition}`, BigInt(last.offset) + 1n);
            if (done()) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out;
}

/** Creates the run's topics with broker-side timestamps (LogAppendTime). */
export async function createBenchTopics(info: KafkaInfo, specs: { topic: string; numPartitions: number }[]) {
  await withAdmin(info, (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((s) => ({
        ...s,
        replicationFactor: 1,
        configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })),
    }),
  );
}
