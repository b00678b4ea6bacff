/**
 * Two operator processes (in-process, each with its own identity) against one API server: only
 * the Lease holder reconciles; when it shuts down it drains, releases the Lease, and the standby
 * takes over; the two never act at the same time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunningOperator } from '../../../operator/controller/runtime.ts';
import { controlPlaneFromEnv, createTestNamespace } from '../../infra/kube/index.ts';
import { installCrd, ReadyzStub, ReconcileLog, startTestOperator } from './harness.ts';
import {
  applyForwarder,
  createCredentials,
  forwarderSpec,
  operatorLease,
  reconcileAfterPoke,
} from './resources.ts';

const plane = controlPlaneFromEnv();
let kc: KubeConfig;
let ns: string;
const stub = new ReadyzStub();
const ops: RunningOperator[] = [];

before(async () => {
  kc = plane.kubeConfig();
  await installCrd(plane.kubeconfigPath, kc);
  ns = await createTestNamespace(kc, 'op-leader');
  await stub.start();
});

after(async () => {
  for (const op of ops) await op.stop();
  await stub.stop();
});

const leaseHolder = async (check: (holder: string) => boolean, what: string): Promise<string> =>
  (await operatorLease(kc, ns, (l) => check(l.spec?.holderIdentity ?? ''), what)).spec?.holderIdentity ?? '';

test('only the Lease holder reconciles; on shutdown it releases and the standby takes over; never both at once', async () => {
  const env = {
    LEADER_ELECTION: 'true',
    LEASE_DURATION_SECONDS: '15',
    RENEW_DEADLINE_SECONDS: '10',
    RETRY_PERIOD_SECONDS: '1',
  };
  const logs = { a: new ReconcileLog(), b: new ReconcileLog() };
  const a = await startTestOperator({
    kc,
    namespaces: [ns],
    stub,
    reconciles: logs.a,
    env: { ...env, POD_NAME: 'operator-a' },
  });
  ops.push(a);
  const first = await leaseHolder((h) => h === 'operator-a', 'operator-a to lead');
  assert.equal(first, 'operator-a');
  const b = await startTestOperator({
    kc,
    namespaces: [ns],
    stub,
    reconciles: logs.b,
    env: { ...env, POD_NAME: 'operator-b' },
  });
  ops.push(b);
  await b.synced();

  await createCredentials(kc, ns, 'creds');
  const key = `${ns}/one`;
  const seenByA = logs.a.next((r) => r.key === key);
  await applyForwarder(kc, ns, 'one', forwarderSpec('creds'));
  await seenByA;
  // A poke that A handles proves B saw the same events and did nothing.
  await reconcileAfterPoke(kc, logs.a, ns, 'one');
  assert.equal(a.isLeader(), true);
  assert.equal(b.isLeader(), false);
  assert.equal(logs.b.reports.length, 0, 'the standby never reconciled');
  const standby = await fetch(`http://127.0.0.1:${b.httpPort}/readyz`);
  assert.equal(standby.status, 200);
  assert.deepEqual(await standby.json(), { ready: true, role: 'standby' });

  // Graceful shutdown of the leader: drain, release; the standby takes over without waiting for expiry.
  await a.stop();
  const aCount = logs.a.reports.length;
  await leaseHolder((h) => h === 'operator-b', 'operator-b to take over');
  await reconcileAfterPoke(kc, logs.b, ns, 'one');
  assert.equal(b.isLeader(), true);
  assert.equal(logs.a.reports.length, aCount, 'the stopped operator did nothing more');
  const lastAEnded = Math.max(...logs.a.reports.map((r) => r.endedAt));
  const firstBStarted = Math.min(...logs.b.reports.map((r) => r.startedAt));
  assert.ok(lastAEnded <= firstBStarted, 'the two operators never reconciled at the same time');
});
