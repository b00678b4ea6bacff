/**
 * spec.kafka.topics.mode strimzi against the real API server with Strimzi's own KafkaTopic and
 * KafkaUser CRDs installed (io.strimzi:api's Crds class, test/infra/strimzi): the operator
 * discovers them, applies one KafkaTopic per topic and a KafkaUser with ACLs limited to the
 * forwarder's topics, the objects read back are accepted by Strimzi's model classes, and the
 * forwarder pod gets the Secret the User Operator writes (SCRAM password env, or the TLS client
 * certificate and key as files named in the config file).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeConfig, KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import type { Condition } from '../../../operator/api/types.ts';
import type { KafkaTopic, KafkaUser } from '../../../operator/desired/strimzi.ts';
import { applyFile, controlPlaneFromEnv, waitFor, waitForCrdEstablished } from '../../infra/kube/index.ts';
import { checkWithStrimziModel, ensureStrimziCrds } from '../../infra/strimzi/crds.ts';
import { type OperatorInNamespace, ReadyzStub, startOperatorInNamespace } from './harness.ts';
import { applyForwarder, createCredentials, forwarderSpec, waitForwarder } from './resources.ts';

const plane = controlPlaneFromEnv();
const DAY = 86_400_000;
let env: OperatorInNamespace;
let kc: KubeConfig;
let ns: string;

before(async () => {
  const crds = await ensureStrimziCrds();
  for (const file of crds.files) await applyFile(plane.kubeconfigPath, file);
  const probe = plane.kubeConfig();
  await waitForCrdEstablished(probe, 'kafkatopics.kafka.strimzi.io');
  await waitForCrdEstablished(probe, 'kafkausers.kafka.strimzi.io');
  // Installed before the operator starts: its first discovery sees them.
  env = await startOperatorInNamespace(plane, 'op-strimzi', { stub: new ReadyzStub() });
  ({ kc, ns } = env);
  await createCredentials(kc, ns, 'alpaca');
});

after(async () => {
  await env?.stop();
});

function listOf<T extends KubernetesObject>(
  apiVersion: string,
  kind: string,
  plural: string,
  instance: string,
  count: number,
): Promise<T[]> {
  return waitFor<T, T[]>(
    kc,
    { apiVersion, kind, plural, namespace: ns, labelSelector: `app.kubernetes.io/instance=${instance}` },
    (items) => (items.length >= count ? [...items] : undefined),
    { what: `${count} ${kind} of ${instance}`, timeoutMs: 90_000 },
  );
}

function configFile(cm: V1ConfigMap): { kafka: { sasl?: unknown; tls?: unknown } } {
  return JSON.parse(cm.data?.['config.json'] ?? '{}');
}

test('scram-sha-512: KafkaTopics and a KafkaUser with the forwarder’s ACLs; the pod gets the user’s password', async () => {
  await applyForwarder(
    kc,
    ns,
    'scram',
    forwarderSpec('alpaca', {
      channels: { trades: true, quotes: true, bars: true },
      kafka: {
        bootstrapServers: ['my-cluster-kafka-bootstrap.kafka.svc:9093'],
        securityProtocol: 'SASL_SSL',
        tls: { caSecretRef: { name: 'my-cluster-cluster-ca-cert' } },
        topics: { mode: 'strimzi', partitions: 6, replicationFactor: 3, strimzi: { cluster: 'my-cluster' } },
      },
    }),
  );
  const topics = await listOf<KafkaTopic>(
    'kafka.strimzi.io/v1beta2',
    'KafkaTopic',
    'kafkatopics',
    'scram',
    4,
  );
  const [user] = await listOf<KafkaUser>('kafka.strimzi.io/v1beta2', 'KafkaUser', 'kafkausers', 'scram', 1);
  assert.ok(user);
  assert.deepEqual(
    topics.map((t) => [t.spec.topicName, t.spec.partitions, t.spec.replicas, t.spec.config]).sort(),
    [
      [
        'torghut.bars.1m.v1',
        6,
        3,
        { 'compression.type': 'lz4', 'min.insync.replicas': 2, 'retention.ms': 30 * DAY },
      ],
      [
        'torghut.quotes.v1',
        6,
        3,
        { 'compression.type': 'lz4', 'min.insync.replicas': 2, 'retention.ms': 7 * DAY },
      ],
      [
        'torghut.status.v1',
        6,
        3,
        { 'compression.type': 'lz4', 'min.insync.replicas': 2, 'retention.ms': 7 * DAY },
      ],
      [
        'torghut.trades.v1',
        6,
        3,
        { 'compression.type': 'lz4', 'min.insync.replicas': 2, 'retention.ms': 7 * DAY },
      ],
    ],
  );
  for (const o of [...topics, user]) {
    assert.equal(o.metadata?.labels?.['strimzi.io/cluster'], 'my-cluster');
    assert.equal(o.metadata?.ownerReferences?.[0]?.name, 'scram');
  }
  assert.equal(user.metadata?.name, 'scram-forwarder');
  assert.deepEqual(user.spec.authentication, { type: 'scram-sha-512' });
  assert.deepEqual(user.spec.authorization, {
    type: 'simple',
    acls: [
      ...['torghut.bars.1m.v1', 'torghut.quotes.v1', 'torghut.status.v1', 'torghut.trades.v1'].map(
        (name) => ({
          resource: { type: 'topic', name, patternType: 'literal' },
          operations: ['Write', 'Describe'],
        }),
      ),
      { resource: { type: 'cluster' }, operations: ['IdempotentWrite'] },
    ],
  });
  await checkWithStrimziModel([...topics, user]);

  const [deployment] = await listOf<V1Deployment>('apps/v1', 'Deployment', 'deployments', 'scram', 1);
  const envVars = deployment?.spec?.template.spec?.containers[0]?.env ?? [];
  assert.deepEqual(
    { ...envVars.find((e) => e.name === 'KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef },
    {
      name: 'scram-forwarder',
      key: 'password',
      optional: false,
    },
  );
  const [cm] = await listOf<V1ConfigMap>('v1', 'ConfigMap', 'configmaps', 'scram', 1);
  assert.ok(cm);
  assert.deepEqual(configFile(cm).kafka.sasl, { mechanism: 'SCRAM-SHA-512', username: 'scram-forwarder' });
  const condition = await waitForwarder(
    kc,
    ns,
    'scram',
    (af) => af.status?.conditions?.find((c: Condition) => c.type === 'Topics'),
    'Topics condition',
  );
  assert.equal(condition.status, 'True');
  assert.equal(condition.reason, 'StrimziResourcesApplied');
});

test('tls: the KafkaUser authenticates by TLS; the pod mounts user.crt and user.key, named in the config file', async () => {
  await applyForwarder(
    kc,
    ns,
    'mtls',
    forwarderSpec('alpaca', {
      tradeUpdates: { enabled: true, streamUrl: 'wss://paper-api.alpaca.markets/stream' },
      kafka: {
        bootstrapServers: ['my-cluster-kafka-bootstrap.kafka.svc:9093'],
        securityProtocol: 'SSL',
        tls: { caSecretRef: { name: 'my-cluster-cluster-ca-cert' } },
        topics: {
          mode: 'strimzi',
          replicationFactor: 1,
          strimzi: { cluster: 'my-cluster', authentication: 'tls' },
        },
      },
    }),
  );
  const [user] = await listOf<KafkaUser>('kafka.strimzi.io/v1beta2', 'KafkaUser', 'kafkausers', 'mtls', 1);
  assert.ok(user);
  assert.deepEqual(user.spec.authentication, { type: 'tls' });
  assert.ok(
    user.spec.authorization.acls.some(
      (a) => a.resource.type === 'topic' && a.resource.name === 'torghut.trade-updates.v1',
    ),
    'trade updates topic in the ACLs when enabled',
  );
  const topics = await listOf<KafkaTopic>('kafka.strimzi.io/v1beta2', 'KafkaTopic', 'kafkatopics', 'mtls', 5);
  await checkWithStrimziModel([...topics, user]);

  const [deployment] = await listOf<V1Deployment>('apps/v1', 'Deployment', 'deployments', 'mtls', 1);
  const pod = deployment?.spec?.template.spec;
  const volume = pod?.volumes?.find((v) => v.name === 'kafka-client');
  assert.equal(volume?.secret?.secretName, 'mtls-forwarder');
  assert.deepEqual(
    volume?.secret?.items?.map((i) => i.key),
    ['user.crt', 'user.key'],
  );
  const mount = pod?.containers[0]?.volumeMounts?.find((m) => m.name === 'kafka-client');
  assert.ok(mount?.readOnly);
  assert.equal(
    pod?.containers[0]?.env?.some((e) => e.name === 'KAFKA_SASL_PASSWORD'),
    false,
  );
  const [cm] = await listOf<V1ConfigMap>('v1', 'ConfigMap', 'configmaps', 'mtls', 1);
  assert.ok(cm);
  assert.deepEqual(configFile(cm).kafka.tls, {
    caFile: '/etc/alpaca-forwarder/kafka-ca/ca.crt',
    certFile: `${mount?.mountPath}/user.crt`,
    keyFile: `${mount?.mountPath}/user.key`,
  });
});

test('the CRD refuses mode strimzi without a cluster, and SASL with tls authentication', async () => {
  const strimziKafka = (topics: Record<string, unknown>, securityProtocol = 'SASL_SSL') => ({
    kafka: { bootstrapServers: ['k:9093'], securityProtocol, topics: { mode: 'strimzi', ...topics } },
  });
  await assert.rejects(
    applyForwarder(kc, ns, 'bad1', forwarderSpec('alpaca', strimziKafka({}))),
    /spec\.kafka\.topics\.strimzi \(cluster\) is required/,
  );
  await assert.rejects(
    applyForwarder(
      kc,
      ns,
      'bad2',
      forwarderSpec('alpaca', strimziKafka({ strimzi: { cluster: 'c', authentication: 'tls' } })),
    ),
    /authentication tls needs securityProtocol SSL/,
  );
});
