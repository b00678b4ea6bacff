/**
 * The connection info of a running test broker, as one JSON env variable (TEST_KAFKA) that the
 * global setup exports to every test file, and the typed view test files get from kafkaFromEnv().
 */
import { LISTENER_NAMES, type ListenerName, type SaslMechanism } from './config.ts';

export const TEST_KAFKA_ENV = 'TEST_KAFKA';

export interface ListenerInfo {
  name: ListenerName;
  host: string;
  port: number;
  /** host:port, what a client's `brokers` list wants. */
  broker: string;
  securityProtocol: ListenerName;
}

export interface KafkaInfoData {
  version: string;
  clusterId: string;
  pid: number;
  /** Temp dir of this broker: data, config, TLS material, log. Removed on stop. */
  dir: string;
  logFile: string;
  /** PEM of the CA that signed the SASL_SSL listener's certificate (for 127.0.0.1 and localhost). */
  caFile: string;
  caPem: string;
  saslMechanisms: SaslMechanism[];
  /** Valid for every mechanism in saslMechanisms. */
  user: { username: string; password: string };
  listeners: Record<ListenerName, ListenerInfo>;
}

export class KafkaInfo {
  readonly data: KafkaInfoData;
  constructor(data: KafkaInfoData) {
    this.data = data;
  }

  get version(): string {
    return this.data.version;
  }
  get caFile(): string {
    return this.data.caFile;
  }
  get caPem(): string {
    return this.data.caPem;
  }
  get user(): { username: string; password: string } {
    return { ...this.data.user };
  }
  get logFile(): string {
    return this.data.logFile;
  }

  listener(name: string): ListenerInfo {
    if (!(LISTENER_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `unknown Kafka test listener "${name}"; valid listeners are ${LISTENER_NAMES.join(', ')}`,
      );
    }
    return this.data.listeners[name as ListenerName];
  }

  /** `host:port` list for a listener, e.g. `brokers('SASL_SSL')`. */
  brokers(name: string = 'PLAINTEXT'): string[] {
    return [this.listener(name).broker];
  }

  toEnv(): Record<string, string> {
    return { [TEST_KAFKA_ENV]: JSON.stringify(this.data) };
  }

  static parse(raw: string, source = TEST_KAFKA_ENV): KafkaInfo {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${source} is not JSON: ${(err as Error).message}`);
    }
    const d = data as Partial<KafkaInfoData>;
    const missing = (['version', 'caFile', 'caPem', 'user', 'listeners', 'pid', 'dir'] as const).filter(
      (k) => d[k] === undefined,
    );
    const missingListeners = LISTENER_NAMES.filter((n) => d.listeners?.[n] === undefined);
    if (missing.length > 0 || missingListeners.length > 0) {
      throw new Error(
        `${source} lacks ${[...missing, ...missingListeners.map((n) => `listeners.${n}`)].join(', ')}; it must come from test/infra/kafka startKafka()`,
      );
    }
    return new KafkaInfo(d as KafkaInfoData);
  }
}

/**
 * Connection info of the shared broker started by test/infra/global-setup.ts. Throws a clear
 * error when the file was run without it.
 */
export function kafkaFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaInfo {
  const raw = env[TEST_KAFKA_ENV];
  if (raw === undefined || raw.trim() === '') {
    throw new Error(
      `${TEST_KAFKA_ENV} is not set: this test needs the shared Kafka broker. Run it with ` +
        '`TEST_INFRA=kafka bash scripts/test.sh <file>` (scripts/test.sh starts the broker in the global setup).',
    );
  }
  return KafkaInfo.parse(raw);
}
