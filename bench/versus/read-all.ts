/**
 * Reads every record of a run's data topics back: count, duplicates (same channel + Alpaca
 * payload seen twice), Kafka latency (LogAppendTime − event_ts, trades and quotes).
 */
import { randomUUID } from 'node:crypto';
import type { KafkaInfo } from '../../test/infra/kafka/index.ts';
import { testKafka, withAdmin } from '../../test/infra/kafka/index.ts';
import { rfc3339ToMs } from '../forwarder/stats.ts';

export interface ReadAll {
  records: number;
  duplicates: number;
  kafkaLagMs: number[];
}

export async function endOffsetSum(info: KafkaInfo, topics: string[]): Promise<number> {
  let sum = 0;
  await withAdmin(info, async (admin) => {
    for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) sum += Number(p.high);
  });
  return sum;
}

export async function readAll(info: KafkaInfo, topics: string[], timeoutMs = 180_000): Promise<ReadAll> {
  const total = await endOffsetSum(info, topics);
  const out: ReadAll = { records: 0, duplicates: 0, kafkaLagMs: [] };
  if (total === 0) return out;
  const seen = new Set<string>();
  const consumer = testKafka(info).consumer({ groupId: `versus-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`read-back: ${out.records}/${total} records`)), timeoutMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              out.records += 1;
              const env = JSON.parse(m.value?.toString() ?? '{}') as {
                channel?: string;
                event_ts?: string;
                payload?: Record<string, unknown>;
              };
              const p = env.payload ?? {};
              const id = `${env.channel}|${p.S}|${p.i ?? ''}|${p.t}|${p.bp ?? ''}|${p.ap ?? ''}|${p.bs ?? ''}|${p.as ?? ''}|${p.c ?? ''}|${p.v ?? ''}`;
              if (seen.has(id)) out.duplicates += 1;
              else seen.add(id);
              if ((env.channel === 'trades' || env.channel === 'quotes') && env.event_ts !== undefined)
                out.kafkaLagMs.push(Number(m.timestamp) - rfc3339ToMs(env.event_ts));
            }
            if (out.records >= total) resolve();
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

export interface StatusSeen {
  /** Status values of the market-data stream in topic order, with the event's own time (ms). */
  events: { status: string; atMs: number; lagMs: number | null }[];
}

/** The status topic's market-data events (lagging/healthy/connection states), in order. */
export async function readStatus(info: KafkaInfo, topic: string, timeoutMs = 60_000): Promise<StatusSeen> {
  const total = await endOffsetSum(info, [topic]);
  const out: StatusSeen = { events: [] };
  if (total === 0) return out;
  const consumer = testKafka(info).consumer({
    groupId: `versus-status-${randomUUID()}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  let n = 0;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`read-back status: ${n}/${total} records`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            n += 1;
            const env = JSON.parse(message.value?.toString() ?? '{}') as {
              payload?: { stream?: string; status?: string; ts?: string; lag_ms?: number };
            };
            const p = env.payload ?? {};
            if (p.stream === 'market_data' && typeof p.status === 'string')
              out.events.push({ status: p.status, atMs: Date.parse(p.ts ?? ''), lagMs: p.lag_ms ?? null });
            if (n >= total) resolve();
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
