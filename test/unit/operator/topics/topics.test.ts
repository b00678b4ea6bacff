/**
 * spec.kafka.topics mode ensure, without Kafka: the desired topics and their settings, the plan
 * (what to create, what differs), the ensure pass and its memory (TopicsEnsurer) against a fake
 * Admin client, the connection built from the admin Secret, and the Topics condition.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { referencedSecrets } from '../../../../operator/controller/mapping.ts';
import { buildChildren } from '../../../../operator/desired/children.ts';
import { referencedSecretKeys } from '../../../../operator/desired/secret-refs.ts';
import { strimziCondition, topicsCondition } from '../../../../operator/status/topics-condition.ts';
import type { AdminConnection, TopicAdmin } from '../../../../operator/topics/admin.ts';
import { adminConnection } from '../../../../operator/topics/connection.ts';
import { type DesiredTopic, desiredTopics } from '../../../../operator/topics/desired.ts';
import { RECHECK_MS, RETRY_MS, TopicsEnsurer } from '../../../../operator/topics/ensurer.ts';
import { type ExistingTopic, planTopics } from '../../../../operator/topics/plan.ts';
import { forwarder, SETTINGS } from '../../../support/operator-fixtures.ts';

const DAY = 86_400_000;

function ensureSpec(topics: Record<string, unknown> = {}, kafka: Record<string, unknown> = {}) {
  return forwarder({
    spec: {
      kafka: {
        bootstrapServers: ['kafka:9092'],
        topics: { mode: 'ensure', ...topics },
        ...kafka,
      },
    },
  });
}

function existingOf(t: DesiredTopic, over: Partial<ExistingTopic> = {}): ExistingTopic {
  return {
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    configs: { ...t.configs },
    ...over,
  };
}

class FakeAdmin implements TopicAdmin {
  topics = new Map<string, ExistingTopic>();
  describes = 0;
  failDescribe: unknown = null;
  connections: AdminConnection[] = [];
  closed = 0;
  async describe(names: readonly string[]) {
    this.describes++;
    if (this.failDescribe) throw this.failDescribe;
    return new Map(
      names.flatMap((n) => (this.topics.has(n) ? [[n, this.topics.get(n) as ExistingTopic]] : [])),
    );
  }
  async create(t: DesiredTopic) {
    if (this.topics.has(t.name)) return false;
    this.topics.set(t.name, existingOf(t));
    return true;
  }
  async close() {
    this.closed++;
  }
}

describe('desired topics', () => {
  test('the forwarder’s topics with the brief’s retention, lz4, spec partitions and replication', () => {
    const af = ensureSpec({ partitions: 6, replicationFactor: 3 });
    const d = desiredTopics(af);
    assert.deepEqual(
      d.map((t) => [t.name, t.configs['retention.ms']]),
      [
        ['torghut.bars.1m.v1', String(30 * DAY)],
        ['torghut.quotes.v1', String(7 * DAY)],
        ['torghut.status.v1', String(7 * DAY)],
        ['torghut.trades.v1', String(7 * DAY)],
      ],
    );
    for (const t of d) {
      assert.equal(t.partitions, 6);
      assert.equal(t.replicationFactor, 3);
      assert.equal(t.configs['compression.type'], 'lz4');
      assert.equal(t.configs['min.insync.replicas'], '2');
    }
  });

  test('trade updates only when enabled; a channel that is off has no topic; RF 1 keeps min ISR 1', () => {
    const af = forwarder({
      spec: {
        kafka: { bootstrapServers: ['kafka:9092'], topics: { mode: 'ensure', replicationFactor: 1 } },
        channels: { trades: true, quotes: false, bars: false, updatedBars: false },
        backfill: { bars: { enabled: false } },
        tradeUpdates: { enabled: true },
      },
    });
    const d = desiredTopics(af);
    assert.deepEqual(
      d.map((t) => t.name),
      ['torghut.status.v1', 'torghut.trade-updates.v1', 'torghut.trades.v1'],
    );
    assert.equal(d[0]?.configs['min.insync.replicas'], '1');
  });
});

describe('plan', () => {
  const d = desiredTopics(ensureSpec());
  const [bars, quotes, status, trades] = d as [DesiredTopic, DesiredTopic, DesiredTopic, DesiredTopic];

  test('missing topics are created; matching ones are left alone', () => {
    const plan = planTopics(d, new Map([[bars.name, existingOf(bars)]]));
    assert.deepEqual(
      plan.create.map((t) => t.name),
      [quotes.name, status.name, trades.name],
    );
    assert.deepEqual(plan.mismatches, []);
  });

  test('every differing setting of an existing topic is a mismatch; none is planned as a change', () => {
    const existing = new Map<string, ExistingTopic>([
      [bars.name, existingOf(bars)],
      [quotes.name, existingOf(quotes)],
      [status.name, existingOf(status)],
      [
        trades.name,
        existingOf(trades, {
          partitions: 1,
          replicationFactor: 1,
          configs: {
            'retention.ms': String(DAY),
            'compression.type': 'producer',
            'min.insync.replicas': '2',
          },
        }),
      ],
    ]);
    const plan = planTopics(d, existing);
    assert.deepEqual(plan.create, []);
    assert.deepEqual(
      plan.mismatches.map((m) => [m.topic, m.setting, m.have, m.want]),
      [
        [trades.name, 'partitions', '1', '3'],
        [trades.name, 'replicationFactor', '1', '3'],
        [trades.name, 'compression.type', 'producer', 'lz4'],
        [trades.name, 'retention.ms', String(DAY), String(7 * DAY)],
      ],
    );
  });
});

describe('TopicsEnsurer with a fake Admin client', () => {
  function setup() {
    const admin = new FakeAdmin();
    let now = 1_000_000;
    const secrets = new Map<string, Map<string, Buffer>>([
      [
        'kafka-admin',
        new Map([
          ['username', Buffer.from('admin')],
          ['password', Buffer.from('adm1n-pw')],
        ]),
      ],
    ]);
    const ensurer = new TopicsEnsurer({
      admin: (c) => {
        admin.connections.push(c);
        return admin;
      },
      readSecret: async (_ns, name, keys) => {
        const s = secrets.get(name);
        return s ? new Map([...s].filter(([k]) => keys.includes(k))) : undefined;
      },
      now: () => now,
      logger: pino({ level: 'silent' }),
    });
    return { admin, ensurer, secrets, advance: (ms: number) => (now += ms) };
  }

  test('creates the missing topics, then answers from memory until the re-check is due', async () => {
    const { admin, ensurer, advance } = setup();
    const af = ensureSpec();
    const first = await ensurer.ensure('torghut/equities', af);
    assert.equal(first.state.kind, 'ensured');
    assert.equal(first.state.kind === 'ensured' && first.state.created.length, 4);
    assert.equal(first.nextCheckMs, RECHECK_MS);
    assert.equal(admin.closed, 1, 'each pass closes its client');
    advance(RECHECK_MS - 1);
    const cached = await ensurer.ensure('torghut/equities', af);
    assert.equal(admin.describes, 1, 'no Kafka round trip between passes');
    assert.equal(cached.nextCheckMs, 1);
    advance(1);
    const again = await ensurer.ensure('torghut/equities', af);
    assert.equal(admin.describes, 2);
    assert.deepEqual(again.state.kind === 'ensured' && again.state.created, []);
  });

  test('a spec change starts a new pass at once', async () => {
    const { admin, ensurer } = setup();
    await ensurer.ensure('torghut/equities', ensureSpec());
    await ensurer.ensure('torghut/equities', ensureSpec({ partitions: 12 }));
    assert.equal(admin.describes, 2);
  });

  test('a mismatch is reported in the Topics condition and the topic is left as it is', async () => {
    const { admin, ensurer } = setup();
    const af = ensureSpec();
    const trades = desiredTopics(af).find((t) => t.name === 'torghut.trades.v1') as DesiredTopic;
    const before = existingOf(trades, { configs: { ...trades.configs, 'retention.ms': String(DAY) } });
    admin.topics.set(trades.name, before);
    const r = await ensurer.ensure('torghut/equities', af);
    assert.equal(admin.topics.get(trades.name), before, 'never altered');
    const c = topicsCondition(af, r.state);
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'TopicSettingsMismatch');
    assert.match(c.message, /topic torghut\.trades\.v1: retention\.ms is 86400000, the spec wants 604800000/);
  });

  test('a Kafka failure: classified reason, no raw text, retried after RETRY_MS', async () => {
    const { admin, ensurer, advance } = setup();
    const af = ensureSpec(
      { adminSecretRef: { name: 'kafka-admin' } },
      { securityProtocol: 'SASL_PLAINTEXT', sasl: { username: 'fwd', secretRef: { name: 'kafka-sasl' } } },
    );
    admin.failDescribe = Object.assign(new Error('SASL failed for user admin pw adm1n-pw'), {
      type: 'SASL_AUTHENTICATION_FAILED',
    });
    const r = await ensurer.ensure('torghut/equities', af);
    assert.equal(r.nextCheckMs, RETRY_MS);
    const c = topicsCondition(af, r.state);
    assert.equal(c.reason, 'TopicsEnsureFailed');
    assert.match(c.message, /kafka_sasl_authentication_failed/);
    assert.doesNotMatch(JSON.stringify(r.state), /adm1n-pw/);
    assert.deepEqual(admin.connections[0]?.sasl, {
      mechanism: 'SCRAM-SHA-512',
      username: 'admin',
      password: 'adm1n-pw',
    });
    admin.failDescribe = null;
    advance(RETRY_MS);
    assert.equal((await ensurer.ensure('torghut/equities', af)).state.kind, 'ensured');
  });

  test('a missing admin Secret or key is named; no Kafka client is made', async () => {
    const { admin, ensurer, secrets } = setup();
    const af = ensureSpec(
      { adminSecretRef: { name: 'kafka-admin', passwordKey: 'pw' } },
      { securityProtocol: 'SASL_PLAINTEXT', sasl: { username: 'fwd', secretRef: { name: 'kafka-sasl' } } },
    );
    const missingKey = await ensurer.ensure('a/b', af);
    assert.equal(topicsCondition(af, missingKey.state).reason, 'AdminSecretKeyMissing');
    assert.match(topicsCondition(af, missingKey.state).message, /Secret torghut\/kafka-admin has no key pw/);
    secrets.clear();
    const gone = await ensurer.ensure('c/d', af);
    assert.equal(topicsCondition(af, gone.state).reason, 'AdminSecretNotFound');
    assert.equal(admin.connections.length, 0);
  });
});

describe('admin connection', () => {
  test('SASL_SSL with a CA and a client certificate (mutual TLS) from the Secrets', () => {
    const af = ensureSpec(
      { adminSecretRef: { name: 'kafka-admin' } },
      {
        securityProtocol: 'SASL_SSL',
        sasl: { mechanism: 'SCRAM-SHA-256', username: 'fwd', secretRef: { name: 'kafka-sasl' } },
        tls: { caSecretRef: { name: 'cluster-ca' } },
      },
    );
    const values = new Map([
      [
        'kafka-admin',
        new Map([
          ['username', Buffer.from('admin\n')],
          ['password', Buffer.from('pw')],
          ['user.crt', Buffer.from('CERT')],
          ['user.key', Buffer.from('KEY')],
        ]),
      ],
      ['cluster-ca', new Map([['ca.crt', Buffer.from('CA')]])],
    ]);
    const r = adminConnection(af, values);
    assert.ok(r.ok);
    assert.deepEqual(r.connection, {
      brokers: ['kafka:9092'],
      clientId: 'alpaca-forwarder-operator.torghut.equities',
      securityProtocol: 'SASL_SSL',
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: 'pw' },
      caPem: 'CA',
      clientCertPem: 'CERT',
      clientKeyPem: 'KEY',
    });
  });

  test('PLAINTEXT needs no Secret', () => {
    const r = adminConnection(ensureSpec(), new Map());
    assert.ok(r.ok);
    assert.equal(r.connection.sasl, undefined);
  });
});

describe('mode strimzi rendering', () => {
  const strimziSpec = (authentication: 'scram-sha-512' | 'tls') =>
    forwarder({
      name: 'eq',
      spec: {
        kafka: {
          bootstrapServers: ['kafka:9093'],
          securityProtocol: authentication === 'tls' ? 'SSL' : 'SASL_SSL',
          topics: { mode: 'strimzi', strimzi: { cluster: 'prod', authentication } },
        },
      },
    });

  test('KafkaTopics and the KafkaUser only when the cluster serves them', () => {
    const af = strimziSpec('scram-sha-512');
    const kinds = (strimzi: boolean) =>
      buildChildren(af, SETTINGS, { secretHash: 'h', strimzi }).apply.map((o) => o.kind);
    assert.deepEqual(
      kinds(true).filter((k) => k === 'KafkaTopic' || k === 'KafkaUser'),
      ['KafkaTopic', 'KafkaTopic', 'KafkaTopic', 'KafkaTopic', 'KafkaUser'],
    );
    assert.equal(kinds(false).includes('KafkaUser'), false);
    assert.equal(strimziCondition(af, false).reason, 'StrimziNotInstalled');
  });

  test('the KafkaUser’s Secret is referenced (hashed: rotation rolls the pod) and mapped to the resource', () => {
    const scram = strimziSpec('scram-sha-512');
    assert.deepEqual(
      referencedSecretKeys(scram.spec, 'eq').filter((r) => r.secret === 'eq-forwarder'),
      [{ secret: 'eq-forwarder', key: 'password', purpose: 'kafkaSaslPassword' }],
    );
    const tls = strimziSpec('tls');
    assert.deepEqual(
      referencedSecretKeys(tls.spec, 'eq')
        .filter((r) => r.secret === 'eq-forwarder')
        .map((r) => r.key),
      ['user.crt', 'user.key'],
    );
    assert.ok(referencedSecrets(tls).includes('eq-forwarder'));
  });
});
