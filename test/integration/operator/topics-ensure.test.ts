/**
 * spec.kafka.topics.mode ensure against the real broker and the real API server: the operator
 * creates the missing topics over SASL_SSL with the admin Secret's credentials and the cluster
 * CA, with the retention, compression, partitions and replication the spec asks for, and reports
 * an existing topic whose retention differs in the Topics condition without changing it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import type { Condition } from '../../../operator/api/types.ts';
import { createTopics, uniqueTopic, withAdmin } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { controlPlaneFromEnv } from '../../infra/kube/index.ts';
import { type OperatorInNamespace, ReadyzStub, startOperatorInNamespace } from './harness.ts';
import { applyForwarder, createCredentials, forwarderSpec, waitForwarder } from './resources.ts';

const plane = controlPlaneFromEnv();
const kafka = kafkaFromEnv();
const DAY = 86_400_000;
let env: OperatorInNamespace;
let kc: KubeConfig;
let ns: string;

before(async () => {
  env = await startOperatorInNamespace(plane, 'op-topics', { stub: new ReadyzStub() });
  ({ kc, ns } = env);
});

after(async () => {
  await env?.stop();
});

async function secret(name: string, stringData: Record<string, string>): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData } });
}

interface Described {
  partitions: number;
  replicas: number;
  configs: Record<string, string>;
}

async function describe(topics: string[]): Promise<Map<string, Described>> {
  return withAdmin(kafka, async (admin) => {
    const md = await admin.fetchTopicMetadata({ topics });
    const cfg = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms', 'compression.type', 'min.insync.replicas'],
      })),
    });
    const out = new Map<string, Described>();
    for (const t of md.topics) {
      const r = cfg.resources.find((x) => x.resourceName === t.name);
      out.set(t.name, {
        partitions: t.partitions.length,
        replicas: t.partitions[0]?.replicas.length ?? 0,
        configs: Object.fromEntries((r?.configEntries ?? []).map((e) => [e.configName, e.configValue])),
      });
    }
    return out;
  });
}

test('ensure: missing topics created with the spec’s settings; a differing existing topic reported, not changed', async () => {
  const topics = {
    trades: uniqueTopic('ens.trades'),
    quotes: uniqueTopic('ens.quotes'),
    bars: uniqueTopic('ens.bars'),
    status: uniqueTopic('ens.status'),
  };
  // The status topic exists already, with 1 day of retention instead of 7.
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: topics.status,
          numPartitions: 2,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.ms', value: String(DAY) },
            { name: 'compression.type', value: 'lz4' },
            { name: 'min.insync.replicas', value: '1' },
          ],
        },
      ],
    }),
  );
  await createCredentials(kc, ns, 'alpaca');
  await secret('kafka-admin', { username: kafka.user.username, password: kafka.user.password });
  await secret('kafka-user', { password: kafka.user.password });
  await secret('cluster-ca', { 'ca.crt': kafka.caPem });
  const l = kafka.listener('SASL_SSL');
  await applyForwarder(
    kc,
    ns,
    'ens',
    forwarderSpec('alpaca', {
      channels: { trades: true, quotes: true, bars: true },
      kafka: {
        bootstrapServers: [l.broker],
        securityProtocol: 'SASL_SSL',
        sasl: {
          mechanism: 'SCRAM-SHA-512',
          username: kafka.user.username,
          secretRef: { name: 'kafka-user' },
        },
        tls: { caSecretRef: { name: 'cluster-ca' } },
        topics: {
          ...topics,
          mode: 'ensure',
          partitions: 2,
          replicationFactor: 1,
          adminSecretRef: { name: 'kafka-admin' },
        },
      },
    }),
  );
  const condition = await waitForwarder(
    kc,
    ns,
    'ens',
    (af) => af.status?.conditions?.find((c: Condition) => c.type === 'Topics'),
    'the Topics condition',
  );
  assert.equal(condition.status, 'False');
  assert.equal(condition.reason, 'TopicSettingsMismatch');
  assert.match(
    condition.message,
    new RegExp(
      `topic ${topics.status.replace(/\./g, '\\.')}: retention\\.ms is ${DAY}, the spec wants ${7 * DAY}`,
    ),
  );
  assert.ok(!condition.message.includes(kafka.user.password), 'no secret in the condition');

  for (const t of [topics.bars, topics.quotes, topics.trades])
    assert.match(condition.message, new RegExp(`Created: .*${t.replace(/\./g, '\\.')}`));
  // Existing topics count as created here; this only waits until the broker serves their partitions.
  await createTopics(
    kafka,
    [topics.trades, topics.quotes, topics.bars].map((topic) => ({ topic, numPartitions: 2 })),
  );
  const got = await describe(Object.values(topics));
  const expectRetention = { trades: 7 * DAY, quotes: 7 * DAY, bars: 30 * DAY };
  for (const [kind, retention] of Object.entries(expectRetention)) {
    const t = got.get(topics[kind as keyof typeof expectRetention]);
    assert.ok(t, `${kind} topic created`);
    assert.equal(t.partitions, 2);
    assert.equal(t.replicas, 1);
    assert.deepEqual(t.configs, {
      'retention.ms': String(retention),
      'compression.type': 'lz4',
      'min.insync.replicas': '1',
    });
  }
  assert.equal(
    got.get(topics.status)?.configs['retention.ms'],
    String(DAY),
    'the existing topic is left as it was',
  );
});
