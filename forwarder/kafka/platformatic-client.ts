/**
 * The production SinkClient on @platformatic/kafka (pure TypeScript, no native build): an
 * idempotent producer (when acks=-1), LZ4 or no compression, no auto topic creation; an admin
 * client for the connect/topic check; SASL (SCRAM-SHA-512/256, PLAIN) over PLAINTEXT or TLS
 * verified against a CA file.
 *
 * Partitions are assigned here (murmur2.ts, the Java client's formula, linear in the key's
 * length) and the batch goes out as one send per partition leader (partitioned-sender.ts), so a
 * retry re-sends only the partitions no leader acked (also those a failed call still had acked,
 * read from the produce response on the error: acked-partitions.ts).
 *
 * Retries keep the sequence numbers: @platformatic/kafka 2.12 keeps a send's producer id and
 * sequence numbers across its own retries, but after a send finally fails it drops the producer
 * id, and the next send (the sink's retry of the same batch) gets a new one, so a batch the
 * broker wrote without the answer arriving would be written twice. So the producer retries a
 * retriable failure (broker gone, connection reset, leader moved) itself, without end, with the
 * sink's backoff, and reports every failed attempt through onAttemptFailed so health degrades
 * exactly as before. Failures it cannot retry (auth, record rejected, request timeout) reject the
 * send and go through the sink's own retry.
 */

import { Admin, type ClusterMetadata, Producer, stringSerializers } from '@platformatic/kafka';
import {
  type PlatformaticClientOptions,
  platformaticBaseOptions,
} from '../../lib/kafka/platformatic-options.ts';
import { exponentialDelayMs } from '../../lib/time/backoff.ts';
import { ackedPartitionsOf } from './acked-partitions.ts';
import type { OutBatch, SinkClient } from './client.ts';
import { partitionForKey } from './murmur2.ts';
import { createPartitionedSender, type PartitionInfo } from './partitioned-sender.ts';
import type { KafkaSinkConfig } from './sink.ts';

export type { PlatformaticClientOptions };
export { platformaticBaseOptions };

/** A missing-topics error: classified kafka_topic_missing, naming the topics (classify.ts). */
export function missingTopicsError(topics: readonly string[]): Error {
  return Object.assign(new Error(`topic(s) ${topics.join(', ')} do not exist`), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    missingTopics: [...topics],
  });
}

function partitionsOf(md: ClusterMetadata, topic: string): PartitionInfo[] {
  const t = md.topics.get(topic);
  const partitions = (t?.partitions ?? []).map((p, partitionId) => ({ partitionId, leader: p.leader }));
  if (partitions.length === 0) {
    throw missingTopicsError([topic]);
  }
  return partitions;
}

export function createPlatformaticClient(
  config: KafkaSinkConfig,
  o: PlatformaticClientOptions = {},
): SinkClient {
  const base = platformaticBaseOptions(config, o);
  const retryInitialMs = o.retryInitialMs ?? 250;
  const retryMaxMs = o.retryMaxMs ?? 5_000;
  let attemptFailed: (err: unknown) => void = () => {};
  const newProducer = () =>
    new Producer({
      ...base,
      idempotent: config.acks === -1,
      acks: config.acks,
      compression: (config.compression ?? 'lz4') === 'lz4' ? 'lz4' : 'none',
      serializers: stringSerializers,
      retries: Number.MAX_SAFE_INTEGER,
      retryDelay: (_client, _op, attempt, _retries, error) => {
        attemptFailed(error);
        return exponentialDelayMs(attempt, retryInitialMs, retryMaxMs);
      },
    });
  let producer = newProducer();
  const admin = new Admin({ ...base, retries: 1, retryDelay: 200 });
  let existing = new Set<string>();

  const fetchPartitions = async (topics: string[]) => {
    const md = await admin.metadata({ topics, forceUpdate: true });
    return new Map(topics.map((t) => [t, partitionsOf(md, t)]));
  };

  const sender = createPartitionedSender<PartitionInfo>({
    fetchPartitions,
    partitionFor: (_topic, partitions, m) => partitionForKey(m.key, partitions.length),
    sendToLeader: async (topicMessages) => {
      const messages = [];
      for (const t of topicMessages)
        for (const m of t.messages)
          messages.push({
            topic: t.topic,
            partition: m.partition,
            key: m.key,
            value: m.value,
            ...(m.headers ? { headers: m.headers } : {}),
          });
      await producer.send({ messages });
    },
    ackedOnFailure: ackedPartitionsOf,
    now: Date.now,
  });

  return {
    async connect() {
      // Connects and authenticates; the topic names feed the check that follows.
      existing = new Set(await admin.listTopics({ includeInternals: false }));
    },
    async checkTopics(topics) {
      // The library reports a missing topic as a UserError with the name only in its text, so
      // the names are listed first and the missing ones (all of them, named in `missingTopics`
      // for /readyz) get a protocol error type of their own.
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0) throw missingTopicsError(missing);
      const found = new Map<string, PartitionInfo[]>();
      for (const topic of topics) {
        try {
          found.set(topic, (await fetchPartitions([topic])).get(topic) ?? []);
        } catch (err) {
          throw new Error(`metadata check of topic "${topic}" failed`, { cause: err });
        }
      }
      sender.prime(found);
    },
    async sendBatch(batch: OutBatch) {
      await sender.send(batch);
    },
    delivered(batch) {
      return sender.delivered(batch);
    },
    onAttemptFailed(listener) {
      attemptFailed = listener;
    },
    async resetProducer() {
      const old = producer;
      producer = newProducer();
      await old.close(true).catch(() => undefined);
    },
    async disconnect() {
      await Promise.allSettled([producer.close(true), admin.close()]);
    },
  };
}
