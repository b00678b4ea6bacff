/**
 * The operator started before its CRD is installed (as `npm start` and a fresh `kubectl apply -k`
 * can do): on a private control plane without the CRD, it logs one clear line that it waits for
 * the CRD, retries quietly (no `watch restarting` 404 warnings however often it retries), and
 * reconciles a resource once the CRD is applied.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunningOperator } from '../../../operator/controller/runtime.ts';
import { type ControlPlane, createTestNamespace, startPrivateControlPlane } from '../../infra/kube/index.ts';
import { installCrd, LogCapture, ReadyzStub, ReconcileLog, startTestOperator } from './harness.ts';
import { applyForwarder, createCredentials, forwarderSpec } from './resources.ts';

const WAITING = 'CRD alpacaforwarders.torghut.io not installed; waiting';
let plane: ControlPlane;
let kc: KubeConfig;
let ns: string;
let op: RunningOperator | undefined;
const stub = new ReadyzStub();
const logs = new LogCapture();
const reconciles = new ReconcileLog();

before(async () => {
  plane = await startPrivateControlPlane();
  kc = plane.kubeConfig();
  ns = await createTestNamespace(kc, 'op-nocrd');
  await stub.start();
});

after(async () => {
  await op?.stop();
  await stub.stop();
  await plane?.stop();
});

async function alpacaForwarderListFailures(o: RunningOperator): Promise<number> {
  const m = await o.metrics.watchRestarts.get();
  return m.values
    .filter((v) => v.labels.resource === 'alpacaforwarders' && v.labels.reason === 'list_error')
    .reduce((sum, v) => sum + v.value, 0);
}

const parsed = (): Array<{ level: number; msg: string; err?: unknown; watch?: string }> =>
  logs.lines.map((l) => JSON.parse(l));

test('waits for the CRD with one log line, then reconciles once it is applied', async () => {
  const running = await startTestOperator({ kc, namespaces: [ns], stub, logs, reconciles });
  op = running;
  await logs.waitForLine((l) => l.includes(WAITING));

  // Several retries of the list while the CRD is missing (the watch backoff is 200 ms to 2 s).
  // The retries are quiet by design, so no log line marks them: read the restart counter.
  while ((await alpacaForwarderListFailures(running)) < 4) await delay(100);

  await installCrd(plane.kubeconfigPath, kc);
  await createCredentials(kc, ns, 'creds');
  const reconciled = reconciles.next((r) => r.key === `${ns}/late`, 120_000);
  await applyForwarder(kc, ns, 'late', forwarderSpec('creds'));
  await reconciled;

  const lines = parsed();
  assert.equal(lines.filter((l) => l.msg === WAITING).length, 1, 'one waiting line');
  assert.equal(lines.find((l) => l.msg === WAITING)?.level, 40, 'the waiting line is a warning');
  assert.ok(
    lines.some((l) => l.msg === 'CRD alpacaforwarders.torghut.io installed; watching'),
    'says when the CRD is served',
  );
  const restartLines = lines.filter(
    (l) => l.msg === 'watch restarting' && String(l.watch).startsWith('alpacaforwarders'),
  );
  assert.deepEqual(restartLines, [], 'no watch-restart lines for the missing CRD');
  assert.ok(
    (await alpacaForwarderListFailures(running)) >= 4,
    'the list was retried while the CRD was missing',
  );
});
