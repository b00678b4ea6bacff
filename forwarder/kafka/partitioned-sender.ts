/**
 * Sends a batch as one produce call per partition leader, remembering per batch which partitions
 * the broker already acked, so that retrying the same batch re-sends only the partitions that
 * failed. Reason (kafkajs 2.2.4, src/producer/sendMessages.js): one sendBatch call that spans
 * several brokers keeps a response per broker across its internal retries; when one broker fails
 * and its partitions move to a broker that already answered, those messages are silently skipped,
 * and when the call gives up after a partial success, re-sending everything duplicates the acked
 * partitions under new sequence numbers. A call that targets a single leader has neither problem.
 * Partitions are assigned once per batch, so a retry carries exactly the same records per partition.
 * A leader call that fails can still have been acked for some of its partitions (the broker
 * answers per partition, e.g. MESSAGE_TOO_LARGE for one and success for the others): those are
 * remembered as acked too (`ackedOnFailure`), and `delivered` tells the sink which records of a
 * failed batch are already written, so a batch it splits leaves them out.
 */
import type { OutBatch, OutRecord } from './client.ts';

export interface PartitionInfo {
  partitionId: number;
  /** Leader broker id; negative when unknown. */
  leader: number;
}

export interface PartitionedMessage extends OutRecord {
  partition: number;
}

export interface LeaderTopicMessages {
  topic: string;
  messages: PartitionedMessage[];
}

export interface PartitionedSenderDeps<P extends PartitionInfo> {
  fetchPartitions(topics: string[]): Promise<Map<string, P[]>>;
  partitionFor(topic: string, partitions: P[], record: OutRecord): number;
  /** One produce call; all its partitions had the same leader when grouped. */
  sendToLeader(topicMessages: LeaderTopicMessages[]): Promise<void>;
  /** The partitions a failed sendToLeader call still had acked (broker success per partition). */
  ackedOnFailure?(err: unknown): { topic: string; partition: number }[];
  now(): number;
  /** Metadata older than this is refreshed before grouping (default 5 min). */
  maxAgeMs?: number;
}

interface PartitionPart {
  topic: string;
  partition: number;
  messages: PartitionedMessage[];
  /** The batch's own records behind `messages`, same order (for `delivered`). */
  sources: OutRecord[];
}

const partKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export interface PartitionedSender {
  send(batch: OutBatch): Promise<void>;
  /** The records of a batch whose partitions a broker acked (all of it once send resolved). */
  delivered(batch: OutBatch): ReadonlySet<OutRecord>;
  /** Stores metadata fetched elsewhere (e.g. by the topic check). */
  prime<P extends PartitionInfo>(topics: Map<string, P[]>): void;
  /** Forces a metadata refresh before the next send (after a failure). */
  invalidate(): void;
}

export function createPartitionedSender<P extends PartitionInfo>(
  d: PartitionedSenderDeps<P>,
): PartitionedSender {
  const maxAgeMs = d.maxAgeMs ?? 300_000;
  const meta = new Map<string, { partitions: P[]; at: number }>();
  let stale = false;
  const assignments = new WeakMap<OutBatch, PartitionPart[]>();
  const ackedParts = new WeakMap<OutBatch, Set<string>>();

  async function ensureMetadata(topics: string[]): Promise<void> {
    const now = d.now();
    const need = stale
      ? topics
      : topics.filter((t) => (meta.get(t)?.at ?? Number.NEGATIVE_INFINITY) + maxAgeMs <= now);
    if (need.length === 0) return;
    const fetched = await d.fetchPartitions(need);
    for (const t of need) {
      const partitions = fetched.get(t);
      if (!partitions || partitions.length === 0) {
        throw Object.assign(new Error(`no partition metadata for topic ${t}`), {
          type: 'UNKNOWN_TOPIC_OR_PARTITION',
        });
      }
      meta.set(t, { partitions, at: now });
    }
    stale = false;
  }

  function assign(batch: OutBatch): PartitionPart[] {
    const known = assignments.get(batch);
    if (known) return known;
    const parts = new Map<string, PartitionPart>();
    for (const { topic, messages } of batch.topicMessages) {
      const partitions = meta.get(topic)?.partitions ?? [];
      for (const m of messages) {
        const partition = d.partitionFor(topic, partitions, m);
        const k = partKey(topic, partition);
        let part = parts.get(k);
        if (!part) {
          part = { topic, partition, messages: [], sources: [] };
          parts.set(k, part);
        }
        part.messages.push({ ...m, partition });
        part.sources.push(m);
      }
    }
    const list = [...parts.values()];
    assignments.set(batch, list);
    return list;
  }

  function leaderOf(topic: string, partition: number): number {
    return meta.get(topic)?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
  }

  return {
    prime(topics) {
      const now = d.now();
      for (const [t, partitions] of topics)
        if (partitions.length > 0) meta.set(t, { partitions: partitions as unknown as P[], at: now });
    },
    invalidate() {
      stale = true;
    },
    delivered(batch) {
      const done = ackedParts.get(batch);
      const parts = assignments.get(batch);
      const out = new Set<OutRecord>();
      if (!done || !parts) return out;
      for (const p of parts)
        if (done.has(partKey(p.topic, p.partition))) for (const r of p.sources) out.add(r);
      return out;
    },
    async send(batch) {
      await ensureMetadata(batch.topicMessages.map((t) => t.topic));
      const done = ackedParts.get(batch) ?? new Set<string>();
      ackedParts.set(batch, done);
      const remaining = assign(batch).filter((p) => !done.has(partKey(p.topic, p.partition)));
      const byLeader = new Map<number, PartitionPart[]>();
      for (const p of remaining) {
        const leader = leaderOf(p.topic, p.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      const results = await Promise.allSettled(
        [...byLeader.values()].map(async (parts) => {
          const byTopic = new Map<string, PartitionedMessage[]>();
          for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), ...p.messages]);
          try {
            await d.sendToLeader([...byTopic].map(([topic, messages]) => ({ topic, messages })));
          } catch (err) {
            const sentHere = new Set(parts.map((p) => partKey(p.topic, p.partition)));
            for (const a of d.ackedOnFailure?.(err) ?? []) {
              const k = partKey(a.topic, a.partition);
              if (sentHere.has(k)) done.add(k);
            }
            throw err;
          }
          for (const p of parts) done.add(partKey(p.topic, p.partition));
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        stale = true;
        throw failed.reason;
      }
    },
  };
}
