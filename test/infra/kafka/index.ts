/**
 * The real Kafka broker for tests (Apache Kafka from Maven Central jars, KRaft single node on
 * 127.0.0.1, listeners PLAINTEXT / SASL_PLAINTEXT / SASL_SSL, users for SCRAM-SHA-512,
 * SCRAM-SHA-256 and PLAIN, a fresh CA + server certificate per start).
 *
 * - test/infra/prepare.ts calls prepareKafka() (resolves the jars once into the cache).
 * - test/infra/global-setup.ts calls startKafka() once per run and exports env() (TEST_KAFKA).
 * - Test files call kafkaFromEnv() for the shared broker's connection info.
 * - A test that needs the broker to go away and come back must not touch the shared broker
 *   (other files use it concurrently): it owns a private one with startPrivateKafka(), calls
 *   stopBroker() / startBroker() on it (same ports, same data) and stop() when done.
 */
import { type KafkaBroker, type KafkaBrokerOptions, startBroker } from './broker.ts';
import { ensureClasspath } from './jars.ts';

export type { KafkaBroker, KafkaBrokerOptions } from './broker.ts';
export { KafkaStartError } from './broker.ts';
export {
  type ClientOptions,
  createTopics,
  kafkaJsConfig,
  type ReadOptions,
  type ReadRecord,
  readTopic,
  type TopicSpec,
  testKafka,
  uniqueTopic,
  withAdmin,
} from './clients.ts';
export type { BrokerPorts } from './config.ts';
export { LISTENER_NAMES, type ListenerName, SASL_MECHANISMS, type SaslMechanism } from './config.ts';
export { KafkaInfo, type KafkaInfoData, kafkaFromEnv, type ListenerInfo, TEST_KAFKA_ENV } from './info.ts';
export { type BatchHeader, readBatchHeaders } from './segments.ts';
export { KAFKA_VERSION } from './version.ts';

function log(msg: string): void {
  process.stderr.write(`[kafka] ${msg}\n`);
}

/** Resolves the broker jars from Maven Central unless cached (second run: no network). */
export async function prepareKafka(): Promise<void> {
  await ensureClasspath(log);
}

/** The shared broker of a test run (global setup). */
export async function startKafka(): Promise<{ env(): Record<string, string>; stop(): Promise<void> }> {
  log('starting the shared Kafka broker');
  const broker = await startBroker({ log });
  return { env: () => broker.env(), stop: () => broker.stop() };
}

/** A broker owned by one test, which may stop and restart it; the test must call stop(). */
export function startPrivateKafka(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  return startBroker(options);
}
