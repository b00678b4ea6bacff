/**
 * The local pod runner gives a pod its ServiceAccount's credentials like a kubelet (TokenRequest
 * token + CA + namespace at /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_*),
 * so the container's in-cluster KubeConfig.loadFromDefault() runs with exactly that account's
 * RBAC against the real kube-apiserver.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api, type V1Pod } from '@kubernetes/client-node';
import { controlPlaneFromEnv, createTestNamespace, waitFor } from '../../infra/kube/index.ts';
import { PodRunner } from '../../infra/pod-runner/runner.ts';
import { ServiceAccountTokens } from '../../infra/pod-runner/service-account.ts';

const PROBE = fileURLToPath(new URL('./fixtures/sa-probe.ts', import.meta.url));
const RUN_LABEL = `sa-test-${randomBytes(4).toString('hex')}`;

let kc: KubeConfig;
let core: CoreV1Api;
let namespace: string;
let runner: PodRunner;
let workDir: string;
const errors: string[] = [];
const probeWaiters = new Map<string, (result: Record<string, unknown>) => void>();
const probeResults = new Map<string, Record<string, unknown>>();

function probeResult(pod: string): Promise<Record<string, unknown>> {
  const seen = probeResults.get(pod);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no PROBE line from ${pod} (runner errors: ${errors.join('; ') || 'none'})`)),
      60_000,
    );
    probeWaiters.set(pod, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}

before(async () => {
  const plane = controlPlaneFromEnv();
  kc = plane.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  namespace = await createTestNamespace(kc, 'sa');
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
  for (const name of ['visible', 'hidden'])
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { who: name } } });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'private' }, stringData: { k: 'v' } },
  });
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'read-visible' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['visible'], verbs: ['get'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'read-visible' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-visible' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
    },
  });
  workDir = await mkdtemp(path.join(tmpdir(), 'sa-pods-'));
  runner = new PodRunner({
    kubeConfig: plane.kubeConfig(),
    labelSelector: `run=${RUN_LABEL}`,
    workDir,
    commandForImage: (image) => {
      assert.equal(image, 'local/sa-probe');
      return { command: process.execPath, args: [PROBE] };
    },
    onContainerLine: (pod, line) => {
      if (!line.startsWith('PROBE ')) return;
      const name = pod.split('/')[1] ?? '';
      const result = JSON.parse(line.slice('PROBE '.length)) as Record<string, unknown>;
      probeResults.set(name, result);
      probeWaiters.get(name)?.(result);
    },
    onError: (err) => errors.push(err instanceof Error ? err.message : String(err)),
  });
  await runner.start();
});

after(async () => {
  await runner?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  if (namespace) await core.deleteNamespace({ name: namespace }).catch(() => {});
});

function probePod(name: string, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    metadata: { name, namespace, labels: { run: RUN_LABEL } },
    spec: {
      serviceAccountName: 'reader',
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'probe',
          image: 'local/sa-probe',
          env: [
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'PROBE_CONFIGMAP', value: 'visible' },
            { name: 'PROBE_HIDDEN_CONFIGMAP', value: 'hidden' },
          ],
        },
      ],
      ...spec,
    },
  };
}

test('a pod runs as its ServiceAccount: gets the one ConfigMap its Role allows, may not list Secrets', async () => {
  await core.createNamespacedPod({ namespace, body: probePod('granted') });
  const r = await probeResult('granted');
  assert.equal(r.tokenMounted, true);
  assert.equal(r.server, controlPlaneFromEnv().server, 'in-cluster config points at the API server');
  assert.equal(r.namespaceFile, namespace);
  assert.equal(r.user, `system:serviceaccount:${namespace}:reader`);
  assert.deepEqual(r.configMap, { who: 'visible' });
  assert.equal(r.hiddenConfigMap, 403, 'resourceNames limits get to the one ConfigMap');
  assert.equal(r.listSecrets, 403);
  assert.ok(String(r.home).startsWith(workDir), 'its own HOME, not the host one (no ~/.kube/config)');
});

test('automountServiceAccountToken: false mounts no token', async () => {
  await core.createNamespacedPod({
    namespace,
    body: probePod('no-token', { automountServiceAccountToken: false }),
  });
  const r = await probeResult('no-token');
  assert.equal(r.tokenMounted, false);
  assert.equal(r.user, undefined, 'no request was made with credentials');
});

test('a pod whose ServiceAccount does not exist does not start; its status names the account', async () => {
  await core.createNamespacedPod({
    namespace,
    body: probePod('missing-sa', { serviceAccountName: 'ghost' }),
  });
  const message = await waitFor<V1Pod, string>(
    kc,
    { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespace, fieldSelector: 'metadata.name=missing-sa' },
    (pods) => {
      const waiting = pods[0]?.status?.containerStatuses?.[0]?.state?.waiting;
      return waiting?.reason === 'CreateContainerConfigError' ? (waiting.message ?? '') : undefined;
    },
    { what: 'missing-sa pod to report CreateContainerConfigError' },
  );
  assert.match(message, /serviceaccount "ghost" not found/);
  assert.equal(
    runner.pods().some((p) => p.name === 'missing-sa'),
    false,
  );
});

test('tokens are minted again at 80 % of their hour; a failed refresh keeps the still-valid token', async () => {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'rotating' } } });
  const pod = await core.createNamespacedPod({
    namespace,
    // Not labelled for the runner: this test drives the token minting itself, with a fake clock.
    body: {
      ...probePod('rotating', { serviceAccountName: 'rotating' }),
      metadata: { name: 'rotating', namespace },
    },
  });
  let now = Date.now();
  const tokens = new ServiceAccountTokens(kc, () => now);
  const first = await tokens.filesFor(pod);
  assert.ok(first);
  assert.equal(first.namespace, namespace);
  assert.match(first['ca.crt'], /BEGIN CERTIFICATE/);
  // Tokens are compared with ok(), not equal(): a failure must not print them.
  assert.ok((await tokens.filesFor(pod))?.token === first.token, 'cached before the refresh time');
  now += 47 * 60_000;
  assert.ok((await tokens.filesFor(pod))?.token === first.token, 'still cached at 47 min');
  now += 2 * 60_000;
  const second = await tokens.filesFor(pod);
  assert.ok(second !== undefined && second.token !== first.token, 'minted again at 49 min (> 80 % of 1 h)');

  await core.deleteNamespacedServiceAccount({ name: 'rotating', namespace });
  now += 49 * 60_000;
  assert.ok((await tokens.filesFor(pod))?.token === second.token, 'refresh failed, token still valid');
  now += 12 * 60_000;
  await assert.rejects(tokens.filesFor(pod), /serviceaccount "rotating" not found/);
});
