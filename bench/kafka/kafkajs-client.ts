/**
 * The kafkajs 2.2.4 adapter behind SinkClient, the forwarder's production client until the sink
 * moved to @platformatic/kafka; kept for bench/kafka as it ran (with its idle-timer guard): an
 * idempotent producer (when acks=-1) with one request in flight, LZ4, no auto topic creation; an
 * admin client for the topic metadata check; SASL (SCRAM-SHA-512/256, PLAIN) over PLAINTEXT or
 * TLS verified against a CA file.
 */
import type { Admin, KafkaConfig, PartitionMetadata, Producer, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Logger } from 'pino';
import type { OutBatch, SinkClient } from '../../forwarder/kafka/client.ts';
import { createPartitionedSender } from '../../forwarder/kafka/partitioned-sender.ts';
import type { KafkaSinkConfig } from '../../forwarder/kafka/sink.ts';
import { registerLz4 } from '../../test/infra/kafka/kafkajs-lz4.ts';
import { guardKafkajsIdleTimer } from './kafkajs-idle-timer.ts';
import { kafkajsLevel, pinoLogCreator } from './kafkajs-logger.ts';

export interface KafkajsClientOptions {
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** PEM of the CA that signs the brokers' certificates (from config.tlsCaFile); system CAs otherwise. */
  caPem?: string;
}

function sasl(config: KafkaSinkConfig): SASLOptions | undefined {
  const s = config.sasl;
  if (!s) return undefined;
  switch (s.mechanism) {
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username: s.username, password: s.password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username: s.username, password: s.password };
    case 'PLAIN':
      return { mechanism: 'plain', username: s.username, password: s.password };
  }
}

export function kafkajsConfig(
  config: KafkaSinkConfig,
  logger: Logger,
  scrub: (t: string) => string,
  o: KafkajsClientOptions = {},
): KafkaConfig {
  const tls = config.securityProtocol === 'SSL' || config.securityProtocol === 'SASL_SSL';
  const useSasl = config.securityProtocol === 'SASL_PLAINTEXT' || config.securityProtocol === 'SASL_SSL';
  const kc: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: o.connectionTimeoutMs ?? 5_000,
    requestTimeout: o.requestTimeoutMs ?? 30_000,
    // kafkajs' own retries are short; the sink retries the unchanged batch after that.
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
    logLevel: kafkajsLevel(logger),
    logCreator: pinoLogCreator(logger, scrub),
  };
  if (tls) {
    kc.ssl = o.caPem ? { ca: [o.caPem], rejectUnauthorized: true } : { rejectUnauthorized: true };
  }
  const s = useSasl ? sasl(config) : undefined;
  if (s) kc.sasl = s;
  return kc;
}

export function createKafkajsClient(
  config: KafkaSinkConfig,
  logger: Logger,
  scrub: (t: string) => string,
  o: KafkajsClientOptions = {},
): SinkClient {
  registerLz4();
  guardKafkajsIdleTimer();
  const kafka = new kafkajs.Kafka(kafkajsConfig(config, logger, scrub, o));
  const idempotent = config.acks === -1;
  const newProducer = (): Producer =>
    kafka.producer({
      idempotent,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
  let producer = newProducer();
  const admin: Admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1_000 } });
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();

  async function fetchPartitions(topic: string): Promise<PartitionMetadata[]> {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = md.topics.find((x) => x.name === topic)?.partitions ?? [];
    if (partitions.length === 0) {
      throw Object.assign(new Error(`topic ${topic} has no partitions`), {
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
    }
    return partitions;
  }

  const sender = createPartitionedSender<PartitionMetadata>({
    async fetchPartitions(topics) {
      const out = new Map<string, PartitionMetadata[]>();
      for (const t of topics) out.set(t, await fetchPartitions(t));
      return out;
    },
    partitionFor: (topic, partitionMetadata, m) =>
      partitioner({ topic, partitionMetadata, message: { key: m.key, value: m.value } }),
    sendToLeader: async (topicMessages) => {
      await producer.sendBatch({
        acks: config.acks,
        compression:
          config.compression === 'none' ? kafkajs.CompressionTypes.None : kafkajs.CompressionTypes.LZ4,
        timeout: o.requestTimeoutMs ?? 30_000,
        topicMessages,
      });
    },
    now: Date.now,
  });

  return {
    async connect() {
      await producer.connect();
      await admin.connect();
    },
    async checkTopics(topics) {
      const found = new Map<string, PartitionMetadata[]>();
      for (const topic of topics) {
        try {
          found.set(topic, await fetchPartitions(topic));
        } catch (err) {
          throw new Error(`metadata check of topic "${topic}" failed`, { cause: err });
        }
      }
      sender.prime(found);
    },
    async sendBatch(batch: OutBatch) {
      await sender.send(batch);
    },
    // The partitions other leaders acked before a refusal (a split leaves them out).
    delivered: (batch) => sender.delivered(batch),
    async resetProducer() {
      const old = producer;
      producer = newProducer();
      await old.disconnect().catch(() => undefined);
    },
    async disconnect() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
