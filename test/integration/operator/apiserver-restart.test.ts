/**
 * The operator survives an API server restart: on a private control plane this test owns, the
 * kube-apiserver is stopped and started again (same etcd); the operator's watches restart (counted
 * in metrics) and it keeps reconciling: a symbol change made after the restart reaches the ConfigMap.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { type ControlPlane, startPrivateControlPlane, waitFor } from '../../infra/kube/index.ts';
import { type OperatorInNamespace, ReadyzStub, startOperatorInNamespace } from './harness.ts';
import { applyForwarder, createCredentials, forwarderSpec } from './resources.ts';

let plane: ControlPlane;
let kc: KubeConfig;
let ns: string;
let env: OperatorInNamespace;
const stub = new ReadyzStub();

before(async () => {
  plane = await startPrivateControlPlane();
  env = await startOperatorInNamespace(plane, 'op-restart', {
    stub,
    // A short watchdog so a watch that silently hangs across the restart is replaced quickly.
    env: { WATCH_WATCHDOG_SECONDS: '5', WATCH_TIMEOUT_SECONDS: '30' },
  });
  ({ kc, ns } = env);
});

after(async () => {
  await env?.stop();
  await plane?.stop();
});

const apply = (symbols: string[]) => applyForwarder(kc, ns, 'survivor', forwarderSpec('creds', { symbols }));

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
  const m = await env.op.metrics.watchRestarts.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

test('keeps reconciling after the API server restarts', async () => {
  await createCredentials(kc, ns, 'creds');
  await apply(['FAKEPACA']);
  await configMapLists('FAKEPACA');
  const restartsBefore = await watchRestarts();

  await plane.stopApiServer();
  await plane.startApiServer();

  await apply(['FAKEPACA', 'MSFT']);
  await configMapLists('MSFT');
  assert.ok((await watchRestarts()) > restartsBefore, 'the watches were restarted and counted');
});
