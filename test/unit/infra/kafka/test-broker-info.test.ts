/** The test broker's connection info object and its config writer (pure parts, no broker). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newClusterId } from '../../../infra/kafka/broker.ts';
import { scramArgs, serverProperties } from '../../../infra/kafka/config.ts';
import { KafkaInfo, type KafkaInfoData, kafkaFromEnv } from '../../../infra/kafka/info.ts';

const listener = (name: 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SASL_SSL', port: number) => ({
  name,
  host: '127.0.0.1',
  port,
  broker: `127.0.0.1:${port}`,
  securityProtocol: name,
});

const data: KafkaInfoData = {
  version: '4.1.2',
  clusterId: 'abc',
  pid: 42,
  dir: '/tmp/x',
  logFile: '/tmp/x/kafka.log',
  caFile: '/tmp/x/ca.pem',
  caPem: 'PEM',
  saslMechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'],
  user: { username: 'forwarder', password: 'pw' },
  listeners: {
    PLAINTEXT: listener('PLAINTEXT', 1),
    SASL_PLAINTEXT: listener('SASL_PLAINTEXT', 2),
    SASL_SSL: listener('SASL_SSL', 3),
  },
};

test('an unknown listener name is an error naming the valid ones', () => {
  const info = new KafkaInfo(data);
  assert.throws(
    () => info.listener('SSL'),
    /unknown Kafka test listener "SSL"; valid listeners are PLAINTEXT, SASL_PLAINTEXT, SASL_SSL/,
  );
  assert.deepEqual(info.brokers('SASL_SSL'), ['127.0.0.1:3']);
});

test('the env round trip keeps every field', () => {
  const env = new KafkaInfo(data).toEnv();
  assert.deepEqual(Object.keys(env), ['TEST_KAFKA']);
  assert.deepEqual(kafkaFromEnv(env).data, data);
});

test('kafkaFromEnv without TEST_KAFKA tells how to run the file', () => {
  assert.throws(() => kafkaFromEnv({}), /TEST_KAFKA is not set.*TEST_INFRA=kafka bash scripts\/test\.sh/);
});

test('kafkaFromEnv names what is missing or malformed', () => {
  assert.throws(() => kafkaFromEnv({ TEST_KAFKA: '{' }), /TEST_KAFKA is not JSON/);
  const { listeners: _l, ...rest } = data;
  assert.throws(
    () =>
      kafkaFromEnv({
        TEST_KAFKA: JSON.stringify({ ...rest, listeners: { PLAINTEXT: data.listeners.PLAINTEXT } }),
      }),
    /lacks listeners\.SASL_PLAINTEXT, listeners\.SASL_SSL/,
  );
});

test('server.properties: loopback listeners, SASL mechanisms, RF 1, no auto topic creation', () => {
  const props = serverProperties({
    ports: { PLAINTEXT: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3, CONTROLLER: 4 },
    logDir: '/d',
    tls: { caFile: '/ca', keystoreFile: '/ks', keystorePassword: 'kp' },
    users: [{ username: 'u', password: 'p"w' }],
  });
  const map = new Map(
    props
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.equal(
    map.get('listeners'),
    'PLAINTEXT://127.0.0.1:1,SASL_PLAINTEXT://127.0.0.1:2,SASL_SSL://127.0.0.1:3,CONTROLLER://127.0.0.1:4',
  );
  assert.equal(map.get('controller.quorum.voters'), '1@127.0.0.1:4');
  assert.equal(map.get('sasl.enabled.mechanisms'), 'SCRAM-SHA-512,SCRAM-SHA-256,PLAIN');
  assert.equal(map.get('auto.create.topics.enable'), 'false');
  assert.equal(map.get('offsets.topic.replication.factor'), '1');
  assert.equal(map.get('group.initial.rebalance.delay.ms'), '0');
  assert.equal(
    map.get('listener.name.sasl_ssl.plain.sasl.jaas.config'),
    'org.apache.kafka.common.security.plain.PlainLoginModule required user_u="p\\\\"w";',
  );
  assert.deepEqual(scramArgs([{ username: 'u', password: 'p' }]), [
    '--add-scram',
    'SCRAM-SHA-512=[name=u,password=p]',
    '--add-scram',
    'SCRAM-SHA-256=[name=u,password=p]',
  ]);
});

test('cluster ids are 22-char base64url and never start with "-" (StorageTool would read an option)', () => {
  for (let i = 0; i < 2000; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
