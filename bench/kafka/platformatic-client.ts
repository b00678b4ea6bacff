/**
 * SinkClient on @platformatic/kafka (pure TypeScript), for the benchmark only: idempotent
 * producer, acks as configured, LZ4, no auto topic creation, SASL/TLS like the kafkajs adapter.
 */
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import type { OutBatch, SinkClient } from '../../forwarder/kafka/client.ts';
import type { KafkaSinkConfig } from '../../forwarder/kafka/sink.ts';

export function createPlatformaticClient(config: KafkaSinkConfig, caPem?: string): SinkClient {
  const tls = config.securityProtocol === 'SSL' || config.securityProtocol === 'SASL_SSL';
  const base = {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    autocreateTopics: false,
    ...(tls ? { tls: caPem ? { ca: [caPem], rejectUnauthorized: true } : { rejectUnauthorized: true } } : {}),
    ...(config.sasl
      ? {
          sasl: {
            mechanism: config.sasl.mechanism,
            username: config.sasl.username,
            password: config.sasl.password,
          },
        }
      : {}),
  };
  const producer = new Producer({
    ...base,
    idempotent: config.acks === -1,
    acks: config.acks,
    compression: 'lz4',
    serializers: stringSerializers,
  });
  const admin = new Admin(base);
  return {
    async connect() {
      await producer.metadata({ topics: config.topics });
    },
    async checkTopics(topics) {
      await admin.metadata({ topics });
    },
    async sendBatch(batch: OutBatch) {
      await producer.send({
        messages: batch.topicMessages.flatMap((t) =>
          t.messages.map((m) => ({
            topic: t.topic,
            key: m.key,
            value: m.value,
            ...(m.headers ? { headers: m.headers } : {}),
          })),
        ),
      });
    },
    async disconnect() {
      await Promise.allSettled([producer.close(), admin.close()]);
    },
  };
}
