/**
 * The operator, in-process, against the real kube-apiserver + etcd + kube-controller-manager:
 * children with their fields, printer columns, probe-driven status, symbol vs config vs Secret
 * changes, CEL rejection, credentials in use, garbage collection, and no Secret value anywhere.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  EventsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Deployment,
  type V1ReplicaSet,
  type V1Role,
  type V1Service,
} from '@kubernetes/client-node';
import { leaseNameForKeyId } from '../../../contracts/lease-name.ts';
import type { AlpacaForwarder } from '../../../operator/api/types.ts';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_SECRET_HASH } from '../../../operator/desired/names.ts';
import { controlPlaneFromEnv, kubectl, waitFor } from '../../infra/kube/index.ts';
import {
  FIELD_MANAGER,
  failingBody,
  LogCapture,
  type OperatorInNamespace,
  ReadyzStub,
  readyBody,
  STATUS_FIELD_MANAGER,
  startOperatorInNamespace,
} from './harness.ts';
import {
  AF,
  type Credentials,
  createCredentials as createCredentialsIn,
  forwarderSpec,
  userApply as userApplyAs,
  waitForwarder as waitForwarderIn,
} from './resources.ts';

const plane = controlPlaneFromEnv();
let kc: KubeConfig;
let ns: string;
let env: OperatorInNamespace;
const stub = new ReadyzStub();
const logs = new LogCapture();
/** Secret values used in this file: none may appear anywhere the operator writes. */
const secretValues: string[] = [];

const userApply = (obj: KubernetesObject & Record<string, unknown>) => userApplyAs(kc, obj);
const waitForwarder = <R>(name: string, check: (af: AlpacaForwarder) => R | undefined, what: string) =>
  waitForwarderIn(kc, ns, name, check, what);

async function createCredentials(name: string): Promise<Credentials> {
  const creds = await createCredentialsIn(kc, ns, name);
  secretValues.push(creds.keyId, creds.secretKey);
  return creds;
}

const cond = (af: AlpacaForwarder, type: string) => af.status?.conditions?.find((c) => c.type === type);

function replicaSetsOf(deploymentName: string): Promise<V1ReplicaSet[]> {
  return kc
    .makeApiClient(AppsV1Api)
    .listNamespacedReplicaSet({ namespace: ns })
    .then((l) =>
      l.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.name === deploymentName)),
    );
}

before(async () => {
  env = await startOperatorInNamespace(plane, 'op-life', { stub, logs, kubelet: true });
  ({ kc, ns } = env);
});

after(async () => {
  await env?.stop();
});

describe('operator lifecycle against the real API server', () => {
  test('applying a resource creates every child with the expected fields; Ready follows a 200 probe; printer columns', async () => {
    const creds = await createCredentials('creds-a');
    stub.set(ns, 'alpha', readyBody());
    await userApply({ ...AF, metadata: { name: 'alpha', namespace: ns }, spec: forwarderSpec('creds-a') });
    const af = await waitForwarder(
      'alpha',
      (a) => (cond(a, 'Ready')?.status === 'True' ? a : undefined),
      'alpha Ready=True',
    );
    assert.equal(cond(af, 'Ready')?.reason, 'Streaming');
    assert.equal(af.status?.observedGeneration, af.metadata.generation);
    assert.match(af.status?.keyIdHash ?? '', /^[0-9a-f]{16}$/);

    const objects = KubernetesObjectApi.makeApiClient(kc);
    const child = (apiVersion: string, kind: string) =>
      objects.read({ apiVersion, kind, metadata: { name: 'alpha-forwarder', namespace: ns } });
    const kinds: Array<[string, string]> = [
      ['v1', 'ServiceAccount'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['v1', 'ConfigMap'],
      ['v1', 'Service'],
      ['apps/v1', 'Deployment'],
    ];
    for (const [apiVersion, kind] of kinds) {
      const o = await child(apiVersion, kind);
      const owner = o.metadata?.ownerReferences?.[0];
      assert.equal(owner?.uid, af.metadata.uid, `${kind} is owned by the resource`);
      assert.equal(owner?.controller, true);
      assert.equal(
        o.metadata?.labels?.['app.kubernetes.io/managed-by'] !== undefined,
        true,
        `${kind} has managed-by`,
      );
      const managers = (o.metadata?.managedFields ?? [])
        .filter((m) => m.operation === 'Apply')
        .map((m) => m.manager);
      assert.deepEqual(managers, [FIELD_MANAGER], `${kind} is applied by our one field manager`);
    }
    const role = (await child('rbac.authorization.k8s.io/v1', 'Role')) as V1Role;
    assert.deepEqual(
      role.rules?.find((r) => r.verbs.includes('update'))?.resourceNames,
      [leaseNameForKeyId(creds.keyId)],
      'the forwarder may update only its own credentials Lease',
    );
    const svc = (await child('v1', 'Service')) as V1Service;
    assert.equal(
      svc.spec?.publishNotReadyAddresses,
      true,
      'the Service keeps a not-ready (406) pod reachable for PROBE_ADDRESS=service',
    );
    const dep = (await child('apps/v1', 'Deployment')) as V1Deployment;
    assert.equal(dep.spec?.replicas, 1);
    assert.equal(dep.spec?.strategy?.type, 'Recreate');
    assert.equal(dep.spec?.template.metadata?.annotations?.[ANNOTATION_CONFIG_HASH], af.status?.configHash);
    assert.equal(dep.spec?.template.metadata?.annotations?.[ANNOTATION_SECRET_HASH], af.status?.secretHash);
    const afObj = await objects.read({ ...AF, metadata: { name: 'alpha', namespace: ns } });
    const statusManagers = (afObj.metadata?.managedFields ?? [])
      .filter((m) => m.subresource === 'status')
      .map((m) => m.manager);
    assert.deepEqual(statusManagers, [STATUS_FIELD_MANAGER]);

    const table = await kubectl(plane.kubeconfigPath, ['get', 'af', 'alpha', '-n', ns]);
    const [header, row] = table.trim().split('\n');
    assert.deepEqual(header?.split(/\s+/), ['NAME', 'READY', 'REASON', 'FEED', 'SYMBOLS', 'RESTARTS', 'AGE']);
    assert.deepEqual(row?.split(/\s+/).slice(0, 6), ['alpha', 'True', 'Streaming', 'test', '1', '0']);
  });

  test('probe bodies drive status: 503 kafka_auth is Degraded with that reason, 200 again is Ready', async () => {
    stub.set(ns, 'alpha', failingBody('kafka_auth', 'kafka_sasl_failed'));
    const degraded = await waitForwarder(
      'alpha',
      (a) => (cond(a, 'Degraded')?.status === 'True' ? a : undefined),
      'alpha Degraded=True',
    );
    assert.equal(cond(degraded, 'Degraded')?.reason, 'kafka_auth');
    assert.equal(cond(degraded, 'Ready')?.status, 'False');
    assert.equal(degraded.status?.errorClass, 'kafka_auth');
    assert.equal(degraded.status?.gates?.kafka, false);
    stub.set(ns, 'alpha', readyBody());
    await waitForwarder(
      'alpha',
      (a) => (cond(a, 'Ready')?.status === 'True' ? true : undefined),
      'alpha Ready again',
    );
  });

  test('a symbol change updates the ConfigMap without rolling the pod; other config and a rotated Secret roll it', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const before = await apps.readNamespacedDeployment({ namespace: ns, name: 'alpha-forwarder' });
    const rsBefore = (await replicaSetsOf('alpha-forwarder')).length;

    await userApply({
      ...AF,
      metadata: { name: 'alpha', namespace: ns },
      spec: forwarderSpec('creds-a', { symbols: ['FAKEPACA', 'AAPL'] }),
    });
    await waitFor<V1ConfigMap, true>(
      kc,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        plural: 'configmaps',
        namespace: ns,
        fieldSelector: 'metadata.name=alpha-forwarder',
      },
      (items) => (Object.values(items[0]?.data ?? {}).some((v) => v.includes('AAPL')) ? true : undefined),
      { what: 'the ConfigMap to list AAPL' },
    );
    const gen2 = await waitForwarder(
      'alpha',
      (a) =>
        a.status?.observedGeneration === a.metadata.generation && a.status?.symbolCount === 2 ? a : undefined,
      'status for the symbol change',
    );
    const afterSymbols = await apps.readNamespacedDeployment({ namespace: ns, name: 'alpha-forwarder' });
    assert.deepEqual(afterSymbols.spec?.template, before.spec?.template, 'pod template unchanged');
    assert.equal(afterSymbols.metadata?.generation, before.metadata?.generation);
    assert.equal((await replicaSetsOf('alpha-forwarder')).length, rsBefore);

    await userApply({
      ...AF,
      metadata: { name: 'alpha', namespace: ns },
      spec: forwarderSpec('creds-a', {
        symbols: ['FAKEPACA', 'AAPL'],
        kafka: { ...forwarderSpec('x').kafka, producer: { lingerMs: 45 } },
      }),
    });
    const gen3 = await waitForwarder(
      'alpha',
      (a) =>
        a.status?.observedGeneration === a.metadata.generation &&
        a.status.configHash !== gen2.status?.configHash
          ? a
          : undefined,
      'a new config hash',
    );
    await waitFor<V1ReplicaSet, true>(
      kc,
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespace: ns },
      (items) =>
        items.some(
          (rs) =>
            rs.spec?.template?.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] === gen3.status?.configHash,
        )
          ? true
          : undefined,
      { what: 'a ReplicaSet for the new config' },
    );

    const secretHashBefore = gen3.status?.secretHash;
    const rotated = `sk${randomBytes(16).toString('hex')}`;
    secretValues.push(rotated);
    await kc
      .makeApiClient(CoreV1Api)
      .patchNamespacedSecret(
        { namespace: ns, name: 'creds-a', body: { stringData: { APCA_API_SECRET_KEY: rotated } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const rotatedAf = await waitForwarder(
      'alpha',
      (a) => (a.status?.secretHash && a.status.secretHash !== secretHashBefore ? a : undefined),
      'a new secret hash after rotation',
    );
    await waitFor<V1ReplicaSet, true>(
      kc,
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespace: ns },
      (items) =>
        items.some(
          (rs) =>
            rs.spec?.template?.metadata?.annotations?.[ANNOTATION_SECRET_HASH] ===
            rotatedAf.status?.secretHash,
        )
          ? true
          : undefined,
      { what: 'a ReplicaSet for the rotated Secret' },
    );
  });

  test("the operator's own /healthz, /readyz (leader) and /metrics answer", async () => {
    const base = `http://127.0.0.1:${env.op.httpPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const readyz = await fetch(`${base}/readyz`);
    assert.equal(readyz.status, 200);
    assert.deepEqual(await readyz.json(), { ready: true, role: 'leader' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      // Reconciles are not requeued for probing any more: probe results bring them (probes_total).
      'alpaca_forwarder_operator_reconciles_total{result="success"}',
      'alpaca_forwarder_operator_reconcile_duration_seconds_bucket',
      'alpaca_forwarder_operator_probes_total{outcome="reported"}',
      'alpaca_forwarder_operator_child_applies_total{kind="Deployment",result="applied"}',
      'alpaca_forwarder_operator_queue_depth',
      'alpaca_forwarder_operator_leader 1',
    ]) {
      assert.ok(metrics.includes(name), `metrics include ${name}`);
    }
  });

  test('an invalid resource is rejected by the API server with the CEL rule message', async () => {
    await assert.rejects(
      userApply({
        ...AF,
        metadata: { name: 'invalid', namespace: ns },
        spec: forwarderSpec('creds-a', { tradeUpdates: { enabled: true } }),
      }),
      (err: unknown) => {
        assert.ok(err instanceof ApiException);
        assert.equal(err.code, 422);
        assert.match(
          String(err.body),
          /spec\.tradeUpdates\.streamUrl is required when spec\.tradeUpdates\.enabled is true/,
        );
        return true;
      },
    );
  });

  test('a second resource with the same key id is Stalled CredentialsInUse and kept at 0 replicas', async () => {
    stub.set(ns, 'beta', readyBody());
    await userApply({ ...AF, metadata: { name: 'beta', namespace: ns }, spec: forwarderSpec('creds-a') });
    const beta = await waitForwarder(
      'beta',
      (a) => (cond(a, 'Stalled')?.status === 'True' ? a : undefined),
      'beta Stalled',
    );
    assert.equal(cond(beta, 'Stalled')?.reason, 'CredentialsInUse');
    assert.match(cond(beta, 'Stalled')?.message ?? '', new RegExp(`${ns}/alpha`));
    const dep = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace: ns, name: 'beta-forwarder' });
    assert.equal(dep.spec?.replicas, 0);
    const alpha = await waitForwarder('alpha', (a) => a, 'alpha');
    assert.equal(cond(alpha, 'Ready')?.status, 'True', 'the first resource keeps streaming');
  });

  test('deleting a resource garbage-collects its children (no finalizer)', async () => {
    await KubernetesObjectApi.makeApiClient(kc).delete({ ...AF, metadata: { name: 'beta', namespace: ns } });
    for (const [apiVersion, kind, plural] of [
      ['apps/v1', 'Deployment', 'deployments'],
      ['v1', 'ConfigMap', 'configmaps'],
      ['v1', 'Service', 'services'],
      ['v1', 'ServiceAccount', 'serviceaccounts'],
    ] as const) {
      await waitFor<KubernetesObject, true>(
        kc,
        { apiVersion, kind, plural, namespace: ns, fieldSelector: 'metadata.name=beta-forwarder' },
        (items) => (items.length === 0 ? true : undefined),
        { what: `${kind} beta-forwarder to be garbage-collected`, timeoutMs: 120_000 },
      );
    }
    const alpha = await KubernetesObjectApi.makeApiClient(kc).read({
      ...AF,
      metadata: { name: 'alpha-forwarder', namespace: ns },
      apiVersion: 'apps/v1',
      kind: 'Deployment',
    });
    assert.ok(alpha.metadata?.uid, 'the other resource keeps its children');
  });

  test('no Secret value appears in any ConfigMap, status, Event or log line', async () => {
    assert.ok(secretValues.length >= 3);
    const core = kc.makeApiClient(CoreV1Api);
    const configMaps = await core.listNamespacedConfigMap({ namespace: ns });
    const forwarders = await KubernetesObjectApi.makeApiClient(kc).list(AF.apiVersion, AF.kind, ns);
    const events = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns });
    assert.ok(
      events.items.some((e) => e.reportingController === 'torghut.io/alpaca-forwarder-operator'),
      'the operator wrote Events',
    );
    assert.ok(logs.lines.length > 0);
    const haystacks: Array<[string, string]> = [
      ['ConfigMaps', JSON.stringify(configMaps.items)],
      ['statuses', JSON.stringify(forwarders.items.map((i) => (i as { status?: unknown }).status))],
      ['Events', JSON.stringify(events.items)],
      ['logs', logs.lines.join('')],
    ];
    for (const [where, text] of haystacks) {
      for (const v of secretValues) {
        assert.equal(text.includes(v), false, `a Secret value leaked into ${where}`);
        assert.equal(
          text.includes(Buffer.from(v).toString('base64')),
          false,
          `a base64 Secret value leaked into ${where}`,
        );
      }
    }
  });
});
