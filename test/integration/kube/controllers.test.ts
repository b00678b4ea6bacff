/**
 * kube-controller-manager runs next to the API server: a Deployment gets a ReplicaSet, and deleting
 * an owner garbage-collects what it owns through ownerReferences (what the operator relies on
 * instead of finalizers).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { controlPlaneFromEnv, createTestNamespace, waitFor } from '../../infra/kube/index.ts';

const plane = controlPlaneFromEnv();
let kc: KubeConfig;
let namespace: string;

before(async () => {
  kc = plane.kubeConfig();
  namespace = await createTestNamespace(kc, 'controllers');
});

after(async () => {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
});

function deployment(name: string): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'main', image: 'registry.invalid/none:1' }] },
      },
    },
  };
}

function ownedBy(uid: string | undefined) {
  return (o: { metadata?: { ownerReferences?: { uid: string; controller?: boolean }[] } }) =>
    o.metadata?.ownerReferences?.some((ref) => ref.uid === uid) ?? false;
}

const replicaSets = () => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespace });

test('a Deployment gets a ReplicaSet it controls, with its pod template', async () => {
  const apps = kc.makeApiClient(AppsV1Api);
  const created = await apps.createNamespacedDeployment({ namespace, body: deployment('web') });
  const rs = await waitFor<V1ReplicaSet, V1ReplicaSet>(
    kc,
    replicaSets(),
    (items) => items.find(ownedBy(created.metadata?.uid)),
    { what: 'a ReplicaSet owned by Deployment web' },
  );
  const ref = rs.metadata?.ownerReferences?.find((r) => r.uid === created.metadata?.uid);
  assert.equal(ref?.kind, 'Deployment');
  assert.equal(ref?.controller, true);
  assert.equal(rs.spec?.replicas, 1);
  assert.equal(rs.spec?.template?.spec?.containers[0]?.image, 'registry.invalid/none:1');
});

test('deleting a Deployment garbage-collects its ReplicaSet', async () => {
  const apps = kc.makeApiClient(AppsV1Api);
  const created = await apps.createNamespacedDeployment({ namespace, body: deployment('doomed') });
  const owned = ownedBy(created.metadata?.uid);
  await waitFor<V1ReplicaSet, true>(kc, replicaSets(), (items) => (items.some(owned) ? true : undefined), {
    what: 'a ReplicaSet owned by Deployment doomed',
  });
  await apps.deleteNamespacedDeployment({ namespace, name: 'doomed' });
  await waitFor<V1ReplicaSet, true>(kc, replicaSets(), (items) => (items.some(owned) ? undefined : true), {
    what: 'the ReplicaSet of Deployment doomed to be garbage-collected',
  });
});

test('deleting an owner ConfigMap garbage-collects the ConfigMaps that name it in ownerReferences', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
  const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid as string };
  for (const name of ['child-a', 'child-b']) {
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name, labels: { family: 'owner' }, ownerReferences: [ownerRef] },
        data: { k: 'v' },
      },
    });
  }
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'bystander', labels: { family: 'owner' } } },
  });

  await core.deleteNamespacedConfigMap({ namespace, name: 'owner' });
  const remaining = await waitFor<V1ConfigMap, string[]>(
    kc,
    { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespace, labelSelector: 'family=owner' },
    (items) => {
      const names = items.map((cm) => cm.metadata?.name ?? '').sort();
      return names.includes('child-a') || names.includes('child-b') ? undefined : names;
    },
    { what: 'child-a and child-b to be garbage-collected' },
  );
  assert.deepEqual(remaining, ['bystander']);
});
