/**
 * Connection reuse against the real API server: the operator talks to it through a counting TCP
 * proxy while a burst of reconciles (a dozen resources, each with its own Secret, every child
 * applied and status written) runs. The operator's client (operator/kube/client.ts) carries every
 * call and watch as a stream on one HTTP/2 session (client-node 2.0.1 opened one per request).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { type CountingProxy, controlPlaneFromEnv, startCountingProxy } from '../../infra/kube/index.ts';
import { type OperatorInNamespace, ReadyzStub, ReconcileLog, startOperatorInNamespace } from './harness.ts';
import { applyForwarder, createCredentials, forwarderSpec, waitForwarder } from './resources.ts';

const plane = controlPlaneFromEnv();
const RESOURCES = 12;
/** Watches and calls share one HTTP/2 connection; one more is tolerated (a session replaced, e.g. after a GOAWAY). */
const MAX_CONNECTIONS = 2;
let proxy: CountingProxy;
let env: OperatorInNamespace;
let kc: KubeConfig;
let ns: string;
const stub = new ReadyzStub();
const reconciles = new ReconcileLog();

before(async () => {
  proxy = await startCountingProxy(plane.kubeConfig().getCurrentCluster()?.server ?? '');
  env = await startOperatorInNamespace(plane, 'op-conn', {
    stub,
    reconciles,
    operatorKubeConfig: (k) => proxy.kubeConfig(k),
  });
  ({ kc, ns } = env);
});

after(async () => {
  await env?.stop();
  await proxy?.stop();
});

test('a burst of reconciles shares a small fixed number of API server connections', async () => {
  await env.op.synced();
  const afterSync = proxy.opened;
  const names = Array.from({ length: RESOURCES }, (_, i) => `conn-${i}`);
  await Promise.all(
    names.map(async (name) => {
      await createCredentials(kc, ns, `${name}-creds`);
      await applyForwarder(kc, ns, name, forwarderSpec(`${name}-creds`));
    }),
  );
  for (const name of names) {
    await waitForwarder(
      kc,
      ns,
      name,
      (af) => (af.status?.observedGeneration === af.metadata.generation ? true : undefined),
      `${name} observed`,
    );
  }
  const done = reconciles.reports.filter((r) => r.result !== 'error').length;
  assert.ok(done >= RESOURCES, `at least one reconcile per resource (${done})`);
  assert.ok(
    proxy.opened <= MAX_CONNECTIONS,
    `connections opened: ${proxy.opened} (${afterSync} by the end of the initial lists, peak open ${proxy.peakOpen}) for ${done} reconciles`,
  );
  assert.ok(proxy.open >= 1, 'the pooled connection stays open (keep-alive)');
});
