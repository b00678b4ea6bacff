/**
 * The operator survives an API server restart: on a private control plane this test owns, the
 * kube-apiserver is stopped and started again (same etcd); the operator's watches restart (counted
 * in metrics) and it keeps reconciling: a symbol change made after the restart reaches the ConfigMap.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CoreV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import type { RunningOperator } from '../../../operator/controller/runtime.ts';
import {
  type ControlPlane,
  createTestNamespace,
  startPrivateControlPlane,
  waitFor,
} from '../../infra/kube/index.ts';
import { installCrd, ReadyzStub, startTestOperator } from './harness.ts';

let plane: ControlPlane;
let kc: KubeConfig;
let ns: string;
let op: RunningOperator;
const stub = new ReadyzStub();

before(async () => {
  plane = await startPrivateControlPlane();
  kc = plane.kubeConfig();
  await installCrd(plane.kubeconfigPath, kc);
  ns = await createTestNamespace(kc, 'op-restart');
  await stub.start();
  op = await startTestOperator({
    kc,
    namespaces: [ns],
    stub,
    // A short watchdog so a watch that silently hangs across the restart is replaced quickly.
    env: { WATCH_WATCHDOG_SECONDS: '5', WATCH_TIMEOUT_SECONDS: '30' },
  });
});

after(async () => {
  await op?.stop();
  await stub.stop();
  await plane?.stop();
});

function apply(symbols: string[]) {
  return KubernetesObjectApi.makeApiClient(kc).patch(
    {
      apiVersion: 'torghut.io/v1alpha1',
      kind: 'AlpacaForwarder',
      metadata: { name: 'survivor', namespace: ns },
      spec: {
        feed: 'test',
        symbols,
        credentialsSecretRef: { name: 'creds' },
        backfill: { bars: { enabled: false }, gapFill: { enabled: false } },
        kafka: { bootstrapServers: ['kafka:9092'], securityProtocol: 'PLAINTEXT' },
      },
    },
    undefined,
    undefined,
    'test-user',
    true,
    PatchStrategy.ServerSideApply,
  );
}

function configMapLists(symbol: string) {
  return waitFor<V1ConfigMap, true>(
    kc,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespace: ns,
      fieldSelector: 'metadata.name=survivor-forwarder',
    },
    (items) => (Object.values(items[0]?.data ?? {}).some((v) => v.includes(symbol)) ? true : undefined),
    { what: `the ConfigMap to list ${symbol}`, timeoutMs: 120_000 },
  );
}

async function watchRestarts(): Promise<number> {
  const m = await op.metrics.watchRestarts.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

test('keeps reconciling after the API server restarts', async () => {
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: 'creds' },
      stringData: { APCA_API_KEY_ID: 'PKRESTARTTEST', APCA_API_SECRET_KEY: 'restart-secret' },
    },
  });
  await apply(['FAKEPACA']);
  await configMapLists('FAKEPACA');
  const restartsBefore = await watchRestarts();

  await plane.stopApiServer();
  await plane.startApiServer();

  await apply(['FAKEPACA', 'MSFT']);
  await configMapLists('MSFT');
  assert.ok((await watchRestarts()) > restartsBefore, 'the watches were restarted and counted');
});
