/**
 * Pure writers of the broker's server.properties and log4j2.properties (kafka.md §1.4, §1.6, §1.8):
 * KRaft combined single node on 127.0.0.1 with static voter, listeners PLAINTEXT, SASL_PLAINTEXT,
 * SASL_SSL and CONTROLLER, SCRAM-SHA-512/256 and PLAIN, RF 1 everywhere, no auto topic creation.
 */
import type { BrokerTls } from './tls.ts';

export const LISTENER_NAMES = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type ListenerName = (typeof LISTENER_NAMES)[number];
export const SASL_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface BrokerPorts {
  PLAINTEXT: number;
  SASL_PLAINTEXT: number;
  SASL_SSL: number;
  CONTROLLER: number;
}

export interface BrokerUser {
  username: string;
  password: string;
}

export interface BrokerConfigInput {
  ports: BrokerPorts;
  logDir: string;
  tls: BrokerTls;
  /** Users of the PLAIN mechanism (SCRAM users are added at format time, see scramArgs). */
  users: BrokerUser[];
  numPartitions?: number;
}

function jaasQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function plainJaas(users: BrokerUser[]): string {
  const entries = users.map((u) => `user_${u.username}=${jaasQuote(u.password)}`).join(' ');
  return `org.apache.kafka.common.security.plain.PlainLoginModule required ${entries};`;
}

export function serverProperties(input: BrokerConfigInput): string {
  const { ports, tls } = input;
  const host = '127.0.0.1';
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const props: [string, string | number | boolean][] = [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.voters', `1@${host}:${ports.CONTROLLER}`],
    [
      'listeners',
      `PLAINTEXT://${host}:${ports.PLAINTEXT},SASL_PLAINTEXT://${host}:${ports.SASL_PLAINTEXT},SASL_SSL://${host}:${ports.SASL_SSL},CONTROLLER://${host}:${ports.CONTROLLER}`,
    ],
    [
      'advertised.listeners',
      `PLAINTEXT://${host}:${ports.PLAINTEXT},SASL_PLAINTEXT://${host}:${ports.SASL_PLAINTEXT},SASL_SSL://${host}:${ports.SASL_SSL}`,
    ],
    [
      'listener.security.protocol.map',
      'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    ],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['log.dirs', input.logDir],
    ['num.partitions', input.numPartitions ?? 1],
    ['default.replication.factor', 1],
    ['min.insync.replicas', 1],
    ['offsets.topic.replication.factor', 1],
    ['offsets.topic.num.partitions', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    ['group.initial.rebalance.delay.ms', 0],
    ['auto.create.topics.enable', false],
    ['delete.topic.enable', true],
    ['log.flush.interval.messages', '9223372036854775807'],
    ['sasl.enabled.mechanisms', SASL_MECHANISMS.join(',')],
    ['listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config', scram],
    ['listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config', scram],
    ['listener.name.sasl_plaintext.plain.sasl.jaas.config', plainJaas(input.users)],
    ['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config', scram],
    ['listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config', scram],
    ['listener.name.sasl_ssl.plain.sasl.jaas.config', plainJaas(input.users)],
    ['ssl.keystore.type', 'PKCS12'],
    ['ssl.keystore.location', tls.keystoreFile],
    ['ssl.keystore.password', tls.keystorePassword],
    ['ssl.key.password', tls.keystorePassword],
    ['ssl.client.auth', 'none'],
  ];
  return `${props.map(([k, v]) => `${k}=${escapeValue(String(v))}`).join('\n')}\n`;
}

/** Java properties escaping of a value (backslash is the only character our values need escaped). */
function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\');
}

/** `--add-scram` arguments for StorageTool format: every user with both SCRAM mechanisms. */
export function scramArgs(users: BrokerUser[]): string[] {
  return users.flatMap((u) =>
    ['SCRAM-SHA-512', 'SCRAM-SHA-256'].flatMap((m) => [
      '--add-scram',
      `${m}=[name=${u.username},password=${u.password}]`,
    ]),
  );
}

export function log4j2Properties(): string {
  return [
    'status=warn',
    'appender.stdout.type=Console',
    'appender.stdout.name=STDOUT',
    'appender.stdout.layout.type=PatternLayout',
    'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
    'rootLogger.level=INFO',
    'rootLogger.appenderRef.stdout.ref=STDOUT',
    'logger.kafka.name=kafka',
    'logger.kafka.level=INFO',
    'logger.apache.name=org.apache.kafka',
    'logger.apache.level=INFO',
    '',
  ].join('\n');
}
