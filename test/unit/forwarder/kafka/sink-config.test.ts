/** Sink config validation (every bad field named at once), log-safe description, and secret scrubbing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { platformaticBaseOptions } from '../../../../forwarder/kafka/platformatic-client.ts';
import { secretScrubber } from '../../../../forwarder/kafka/secret-scrubber.ts';
import {
  createKafkaSink,
  type KafkaSinkConfig,
  KafkaSinkConfigError,
} from '../../../../forwarder/kafka/sink.ts';
import { describeSinkConfig, validateSinkConfig } from '../../../../forwarder/kafka/sink-config.ts';
import { silentLogger } from '../../../support/kafka-fakes.ts';

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

test('the scrubber masks every occurrence of each secret and leaves other text alone', () => {
  const scrub = secretScrubber(['hunter2-secret', '']);
  assert.equal(
    scrub('auth hunter2-secret failed; again hunter2-secret'),
    'auth [REDACTED] failed; again [REDACTED]',
  );
  assert.equal(scrub('nothing secret here'), 'nothing secret here');
});

test('mutual TLS: the client certificate and key reach the TLS options; half a pair, or TLS off, is refused', () => {
  const base = platformaticBaseOptions(
    { ...good, securityProtocol: 'SSL', sasl: undefined },
    { caPem: 'CA', clientCertPem: 'CERT', clientKeyPem: 'KEY' },
  );
  assert.deepEqual(base.tls, { rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY' });
  assert.equal(base.sasl, undefined);
  assert.throws(
    () => validateSinkConfig({ ...good, tlsCertFile: '/user.crt' }),
    /tlsCertFile\/tlsKeyFile: a client certificate needs its key/,
  );
  assert.throws(
    () =>
      validateSinkConfig({
        ...good,
        securityProtocol: 'PLAINTEXT',
        sasl: undefined,
        tlsCertFile: '/c',
        tlsKeyFile: '/k',
      }),
    /tlsCertFile: given but securityProtocol PLAINTEXT does not use TLS/,
  );
  assert.doesNotThrow(() => validateSinkConfig({ ...good, tlsCertFile: '/c', tlsKeyFile: '/k' }));
});

test('mutual TLS: an unreadable or non-PEM key file is a config error naming the field', () => {
  assert.throws(
    () =>
      createKafkaSink(
        { ...good, tlsCertFile: '/nonexistent/user.crt', tlsKeyFile: '/nonexistent/user.key' },
        { logger: silentLogger().logger },
      ),
    (err: unknown) =>
      err instanceof KafkaSinkConfigError &&
      /tlsCertFile: cannot read \/nonexistent\/user\.crt/.test(err.message),
  );
});
