/**
 * SinkClient on @confluentinc/kafka-javascript (librdkafka 2.15 through its KafkaJS-style API),
 * for the benchmark only: loaded from the directory bench/kafka/install-librdkafka.sh installs
 * it into (it is no project dependency: its native build needs CKJS_LINKING=dynamic, Debian's
 * libssl-dev and a C/C++ toolchain). Idempotent producer, acks as configured, LZ4, murmur2
 * partitioner (the Java client's, so keys land where the other clients put them), no auto topic
 * creation, SASL/TLS like the production adapter. The sink hands it a whole batch; librdkafka's
 * own linger is 1 ms so it adds none of its own on top of the sink's.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { OutBatch, SinkClient } from '../../forwarder/kafka/client.ts';
import type { KafkaSinkConfig } from '../../forwarder/kafka/sink.ts';

interface KafkaJSLike {
  Kafka: new (
    config: Record<string, unknown>,
  ) => {
    producer(config: Record<string, unknown>): {
      connect(): Promise<void>;
      disconnect(): Promise<void>;
      sendBatch(b: { topicMessages: OutBatch['topicMessages'] }): Promise<unknown>;
    };
    admin(config?: Record<string, unknown>): {
      connect(): Promise<void>;
      disconnect(): Promise<void>;
      fetchTopicMetadata(o: { topics: string[] }): Promise<unknown>;
    };
  };
  logLevel: { ERROR: number };
}

export interface LibrdkafkaModule {
  KafkaJS: KafkaJSLike;
  librdkafkaVersion: string;
}

export function loadLibrdkafka(installDir: string): LibrdkafkaModule {
  const require = createRequire(join(installDir, 'package.json'));
  return require('@confluentinc/kafka-javascript') as LibrdkafkaModule;
}

export function createLibrdkafkaClient(
  lib: LibrdkafkaModule,
  config: KafkaSinkConfig,
  caFile?: string,
): SinkClient {
  const { Kafka, logLevel } = lib.KafkaJS;
  const tls = config.securityProtocol === 'SSL' || config.securityProtocol === 'SASL_SSL';
  const s = config.sasl;
  const kafka = new Kafka({
    kafkaJS: {
      clientId: config.clientId,
      brokers: config.brokers,
      ssl: tls,
      logLevel: logLevel.ERROR,
      ...(s
        ? { sasl: { mechanism: s.mechanism.toLowerCase(), username: s.username, password: s.password } }
        : {}),
    },
    ...(tls && caFile ? { 'ssl.ca.location': caFile } : {}),
  });
  const producer = kafka.producer({
    kafkaJS: {
      idempotent: config.acks === -1,
      acks: config.acks,
      compression: (config.compression ?? 'lz4') === 'lz4' ? 'lz4' : 'none',
      allowAutoTopicCreation: false,
      maxInFlightRequests: 5,
    },
    partitioner: 'murmur2_random',
    'linger.ms': 1,
    'batch.size': config.batchBytes,
    'batch.num.messages': 1_000_000,
    'queue.buffering.max.kbytes': Math.ceil(config.maxBufferBytes / 1024),
  });
  const admin = kafka.admin();
  return {
    async connect() {
      await producer.connect();
      await admin.connect();
    },
    async checkTopics(topics) {
      await admin.fetchTopicMetadata({ topics });
    },
    async sendBatch(batch: OutBatch) {
      await producer.sendBatch({ topicMessages: batch.topicMessages });
    },
    async disconnect() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
