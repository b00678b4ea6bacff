/**
 * The operator runs under exactly the RBAC config/ ships: config/namespace, config/crd and
 * config/rbac are applied to a private control plane (they are cluster-scoped), the operator
 * authenticates with a token of its ServiceAccount (TokenRequest, like a pod would get), watches
 * every namespace, holds its leader Lease, and reconciles a resource to Ready: every child applied,
 * status written, pods read. Then one verb is taken away from the ClusterRole and the operator
 * visibly fails (a ReconcileError Event naming the refused apply): the test would catch a missing
 * verb.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  EventsV1Api,
  type EventsV1Event,
  KubeConfig,
  type KubernetesObject,
  type V1ClusterRole,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadConfig } from '../../../operator/controller/config.ts';
import { type RunningOperator, startOperator } from '../../../operator/controller/runtime.ts';
import {
  type ControlPlane,
  kubectl,
  startPrivateControlPlane,
  waitFor,
  waitForCrdEstablished,
} from '../../infra/kube/index.ts';
import { clientConfigOf } from '../../support/kube-client-config.ts';
import { fakeKubelet, LogCapture, ReadyzStub, readyBody } from '../operator/harness.ts';
import { applyForwarder, createCredentials, forwarderSpec, waitForwarder } from '../operator/resources.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OPERATOR_NS = 'alpaca-forwarder-system';
const OPERATOR_SA = 'alpaca-forwarder-operator';
const TEAM_NS = 'team-a';

let plane: ControlPlane;
let op: RunningOperator | undefined;
let kubelet: { stop(): void } | undefined;
const stub = new ReadyzStub();
const logs = new LogCapture();

async function operatorKubeConfig(): Promise<KubeConfig> {
  const token = (
    await kubectl(plane.kubeconfigPath, ['create', 'token', OPERATOR_SA, '-n', OPERATOR_NS, '--duration=1h'])
  ).trim();
  const admin = plane.kubeConfig();
  const cluster = admin.getCurrentCluster();
  assert.ok(cluster, 'the admin kubeconfig names a cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'local' }],
    users: [{ name: OPERATOR_SA, token }],
    contexts: [{ name: 'operator', cluster: 'local', user: OPERATOR_SA }],
    currentContext: 'operator',
  });
  return kc;
}

before(async () => {
  plane = await startPrivateControlPlane();
  for (const dir of ['config/namespace', 'config/crd', 'config/rbac']) {
    await kubectl(plane.kubeconfigPath, ['apply', '--server-side', '-k', path.join(ROOT, dir)]);
  }
  await waitForCrdEstablished(plane.kubeConfig(), 'alpacaforwarders.torghut.io');
  await kubectl(plane.kubeconfigPath, ['create', 'namespace', TEAM_NS]);
  const admin = plane.kubeConfig();
  await stub.start();
  kubelet = fakeKubelet(admin, TEAM_NS);
  const config = loadConfig({
    OPERATOR_NAMESPACE: OPERATOR_NS,
    FORWARDER_IMAGE: 'alpaca-forwarder:test',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LEADER_ELECTION: 'true',
    PROBE_INTERVAL_NOT_READY_SECONDS: '2',
    LOG_LEVEL: 'debug',
  });
  op = await startOperator({
    config,
    kubeConfig: clientConfigOf(await operatorKubeConfig()),
    logger: pino({ level: 'debug' }, logs.stream),
    probe: stub.probe(),
    queueBackoffBaseMs: 200,
    queueBackoffMaxMs: 2000,
  });
});

after(async () => {
  await op?.stop();
  kubelet?.stop();
  await stub.stop();
  await plane?.stop();
});

describe('the operator under the RBAC of config/rbac', () => {
  test('reconciles a resource in another namespace to Ready with only the ServiceAccount token', async () => {
    const admin = plane.kubeConfig();
    await createCredentials(admin, TEAM_NS, 'creds');
    stub.set(TEAM_NS, 'alpha', readyBody());
    await applyForwarder(admin, TEAM_NS, 'alpha', forwarderSpec('creds'));
    const af = await waitForwarder(
      admin,
      TEAM_NS,
      'alpha',
      (a) => (a.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? a : undefined),
      'alpha Ready=True under the shipped RBAC',
    );
    assert.equal(af.status?.observedGeneration, af.metadata.generation);
    const kinds = await kubectl(plane.kubeconfigPath, [
      'get',
      'serviceaccount,role,rolebinding,configmap,service,deployment,networkpolicy',
      '-n',
      TEAM_NS,
      '-l',
      'app.kubernetes.io/instance=alpha',
      '-o',
      'jsonpath={range .items[*]}{.kind}{"\\n"}{end}',
    ]);
    assert.deepEqual(kinds.trim().split('\n').sort(), [
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    const lease = await kubectl(plane.kubeconfigPath, [
      'get',
      'lease',
      'alpaca-forwarder-operator',
      '-n',
      OPERATOR_NS,
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    assert.equal(lease, op?.identity, 'the operator holds its leader Lease');
    assert.ok(!logs.lines.some((l) => /forbidden/i.test(l)), 'no request of the operator was forbidden');
  });

  test('without patch on deployments the operator fails visibly (the test catches a missing verb)', async () => {
    const admin = plane.kubeConfig();
    const role = JSON.parse(
      await kubectl(plane.kubeconfigPath, ['get', 'clusterrole', OPERATOR_SA, '-o', 'json']),
    ) as V1ClusterRole;
    const rules = (role.rules ?? []).map((r) =>
      r.resources?.includes('deployments') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r,
    );
    await kubectl(plane.kubeconfigPath, [
      'patch',
      'clusterrole',
      OPERATOR_SA,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ rules }),
    ]);
    // A spec change the Deployment must follow (reconnect settings roll the pod).
    await applyForwarder(admin, TEAM_NS, 'alpha', forwarderSpec('creds', { reconnect: { baseMs: 750 } }));
    const note = await waitFor<EventsV1Event & KubernetesObject, string>(
      admin,
      { apiVersion: 'events.k8s.io/v1', kind: 'Event', plural: 'events', namespace: TEAM_NS },
      (items) => items.find((e) => e.reason === 'ReconcileError' && e.regarding?.name === 'alpha')?.note,
      { what: 'a ReconcileError Event for alpha', timeoutMs: 90_000 },
    );
    assert.match(note, /Deployment/);
    assert.match(note, /403|[Ff]orbidden/);
    const events = await admin.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: TEAM_NS });
    assert.ok(events.items.length > 0);
  });
});
