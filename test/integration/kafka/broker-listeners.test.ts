/**
 * Proves the shared test broker (Apache Kafka 4.1 from Maven jars) and the kafkajs client work
 * together on every listener: idempotent producer, acks=-1, LZ4, SCRAM over SASL_PLAINTEXT and
 * SASL_SSL (CA-verified, hostname checked), and that auth/TLS failures classify as the forwarder
 * reports them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { classifyKafkaError } from '../../../lib/kafka/classify.ts';
import {
  createTopics,
  kafkaFromEnv,
  LISTENER_NAMES,
  readBatchHeaders,
  readTopic,
  type SaslMechanism,
  testKafka,
  uniqueTopic,
} from '../../infra/kafka/index.ts';

const kafka = kafkaFromEnv();
const noRetry = { extra: { retry: { retries: 0 }, connectionTimeout: 3000 } };

async function produceAndReadBack(listener: string, mechanism?: SaslMechanism): Promise<void> {
  const topic = uniqueTopic(`listener.${listener.toLowerCase()}`);
  await createTopics(kafka, [topic]);
  const producer = testKafka(kafka, listener, mechanism ? { mechanism } : {}).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const messages = Array.from({ length: 20 }, (_, i) => ({
    key: `SYM${i % 3}`,
    value: JSON.stringify({ i, listener }),
    headers: { 'content-type': 'application/json' },
  }));
  try {
    await producer.send({ topic, acks: -1, compression: kafkajs.CompressionTypes.LZ4, messages });
  } finally {
    await producer.disconnect();
  }
  const got = await readTopic(kafka, topic);
  assert.deepEqual(
    got.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
    messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
  );
  const batches = await readBatchHeaders(kafka, topic);
  assert.deepEqual(
    batches.map((b) => b.codec),
    ['lz4'],
    'the broker stored one LZ4-compressed batch',
  );
  assert.ok((batches[0]?.producerId ?? -1n) >= 0n, 'the batch carries a producer id (idempotent producer)');
  assert.equal(batches[0]?.baseSequence, 0, 'idempotent sequence numbers start at 0');
}

describe(`Kafka ${kafka.version} test broker with kafkajs`, () => {
  for (const listener of LISTENER_NAMES) {
    test(`idempotent acks=-1 LZ4 produce and read back over ${listener}`, () => produceAndReadBack(listener));
  }

  test('SCRAM-SHA-256 over SASL_SSL', () => produceAndReadBack('SASL_SSL', 'SCRAM-SHA-256'));
  test('PLAIN over SASL_SSL', () => produceAndReadBack('SASL_SSL', 'PLAIN'));

  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL']) {
    test(`a wrong SCRAM-SHA-512 password over ${listener} fails authentication, classified kafka_auth`, async () => {
      const producer = testKafka(kafka, listener, { password: 'not-the-password', ...noRetry }).producer();
      const err = await producer.connect().then(
        () => assert.fail('connect with a wrong password succeeded'),
        (e: unknown) => e,
      );
      await producer.disconnect();
      assert.equal((err as Error).name, 'KafkaJSSASLAuthenticationError');
      assert.deepEqual(classifyKafkaError(err, 'connect'), {
        errorClass: 'kafka_auth',
        reason: 'kafka_sasl_authentication_failed',
        reconnect: true,
      });
    });
  }

  test('SASL_SSL without the test CA is refused by certificate verification', async () => {
    const producer = testKafka(kafka, 'SASL_SSL', {
      extra: { ...noRetry.extra, ssl: { rejectUnauthorized: true } },
    }).producer();
    const err = await producer.connect().then(
      () => assert.fail('TLS connect without the CA succeeded'),
      (e: unknown) => e,
    );
    await producer.disconnect();
    assert.equal(classifyKafkaError(err, 'connect').reason, 'kafka_tls_handshake_failed');
  });

  test('the certificate names 127.0.0.1 and localhost only: another name fails hostname verification', async () => {
    const producer = testKafka(kafka, 'SASL_SSL', {
      extra: { ...noRetry.extra, ssl: { ca: [kafka.caPem], servername: 'kafka.example.com' } },
    }).producer();
    const err = await producer.connect().then(
      () => assert.fail('TLS connect with a wrong server name succeeded'),
      (e: unknown) => e,
    );
    await producer.disconnect();
    assert.equal(classifyKafkaError(err, 'connect').reason, 'kafka_tls_handshake_failed');
  });
});
