/** Sink config validation (every bad field named at once), log-safe description, and kafkajs log scrubbing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinoLogCreator, secretScrubber } from '../../../forwarder/kafka/kafkajs-logger.ts';
import {
  createKafkaSink,
  type KafkaSinkConfig,
  KafkaSinkConfigError,
} from '../../../forwarder/kafka/sink.ts';
import { describeSinkConfig, validateSinkConfig } from '../../../forwarder/kafka/sink-config.ts';
import { silentLogger } from './fakes.ts';

const good: KafkaSinkConfig = {
  brokers: ['kafka-0.kafka:9093'],
  clientId: 'fwd',
  securityProtocol: 'SASL_SSL',
  sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'hunter2-secret' },
  acks: -1,
  lingerMs: 30,
  batchBytes: 1_000_000,
  maxBufferBytes: 64_000_000,
  topics: ['torghut.trades.v1'],
};

test('a good config passes', () => {
  assert.doesNotThrow(() => validateSinkConfig(good));
});

test('every bad field is named in one error', () => {
  const bad = {
    ...good,
    brokers: ['nohost'],
    securityProtocol: 'SASL_PLAINTEXT',
    sasl: undefined,
    tlsCaFile: '/ca.pem',
    acks: 2,
    lingerMs: -1,
    batchBytes: 0,
    topics: ['bad topic'],
  } as unknown as KafkaSinkConfig;
  const err = (() => {
    try {
      validateSinkConfig(bad);
    } catch (e) {
      return e;
    }
    return null;
  })();
  assert.ok(err instanceof KafkaSinkConfigError);
  assert.deepEqual(err.problems, [
    'brokers: "nohost" is not host:port',
    'sasl: required with securityProtocol SASL_PLAINTEXT',
    'tlsCaFile: given but securityProtocol SASL_PLAINTEXT does not use TLS',
    'acks: 2 is not -1, 0 or 1',
    'lingerMs: -1 must be an integer >= 0',
    'batchBytes: 0 must be an integer > 0',
    'topics: "bad topic" is not a valid topic name',
  ]);
});

test('maxBufferBytes below batchBytes is refused', () => {
  assert.throws(
    () => validateSinkConfig({ ...good, maxBufferBytes: 10 }),
    /maxBufferBytes: 10 must be >= batchBytes/,
  );
});

test('an unreadable CA file is a config error naming the file', () => {
  assert.throws(
    () => createKafkaSink({ ...good, tlsCaFile: '/nonexistent/ca.pem' }, { logger: silentLogger().logger }),
    /tlsCaFile: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/,
  );
});

test('the config description and the configured log line never hold the password', () => {
  assert.deepEqual(describeSinkConfig(good).sasl, {
    mechanism: 'SCRAM-SHA-512',
    username: 'u',
    password: '[REDACTED]',
  });
  const { logger, lines } = silentLogger();
  createKafkaSink(good, { logger });
  assert.ok(lines.some((l) => l.includes('kafka sink configured')));
  assert.ok(!lines.join('').includes('hunter2-secret'));
});

test('kafkajs log entries go to pino with secret fields and secret text masked', () => {
  const { logger, lines } = silentLogger();
  const log = pinoLogCreator(logger, secretScrubber(['hunter2-secret']))(0);
  log({
    namespace: 'Connection',
    level: 1,
    label: 'ERROR',
    log: {
      timestamp: 'x',
      message: 'failed for password hunter2-secret',
      sasl: { password: 'hunter2-secret' },
      broker: 'b:1',
    } as unknown as { timestamp: string; message: string },
  });
  const entry = JSON.parse(lines[0] ?? '{}');
  assert.equal(entry.level, 40, 'kafkajs ERROR is logged at warn');
  assert.equal(entry.msg, 'failed for password [REDACTED]');
  assert.equal(entry.sasl, '[REDACTED]');
  assert.equal(entry.broker, 'b:1');
  assert.equal(entry.kafkajs, 'Connection');
});

test('kafkajs log fields nested deeper than the scrubber walks are cut, not logged raw', () => {
  const { logger, lines } = silentLogger();
  const log = pinoLogCreator(logger, secretScrubber(['hunter2-secret']))(0);
  const deep = { a: { b: { c: { d: { e: { f: 'auth with hunter2-secret' } } } } } };
  log({
    namespace: 'Connection',
    level: 1,
    label: 'ERROR',
    log: { timestamp: 'x', message: 'request failed', deep } as unknown as {
      timestamp: string;
      message: string;
    },
  });
  assert.equal(lines.length, 1);
  assert.ok(!(lines[0] ?? '').includes('hunter2-secret'), lines[0]);
});
