/**
 * The forwarder process with its connection Lease on the real kube-apiserver, Kafka and the
 * Alpaca simulator: when another holder takes the Lease, the forwarder closes its Alpaca socket
 * cleanly at once, reports lease_held_by_other on /readyz and lease_held 0, and does not connect
 * again until the Lease is free; then it reconnects on its own. On stop it releases the Lease.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeLeaseStore } from '../../../forwarder/lease/kube-store.ts';
import { leaseNameForKeyId } from '../../../forwarder/lease/name.ts';
import { kubeConfigFromFile } from '../../../lib/kube/kube-config.ts';
import { LeaseConflictError, type LeaseSpec, type LeaseStore } from '../../../lib/lease/store.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { controlPlaneFromEnv, createTestNamespace } from '../../infra/kube/index.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  KEY_ID,
  startInProcess,
  startSim,
  waitReadiness,
} from '../forwarder/harness.ts';

const cleanup = cleanupAfterAll();

/** Writes the Lease as another process would, retrying on 409 (the forwarder renews meanwhile). */
async function overwrite(store: LeaseStore, spec: (now: number) => LeaseSpec): Promise<number> {
  for (;;) {
    const current = await store.get();
    assert.ok(current, 'the Lease exists');
    const now = Date.now();
    try {
      await store.replace(current.resourceVersion, spec(now));
      return now;
    } catch (err) {
      if (!(err instanceof LeaseConflictError)) throw err;
    }
  }
}

async function metric(port: number): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return /^alpaca_forwarder_lease_held (\S+)$/m.exec(text)?.[1];
}

test('a Lease taken by another holder closes the Alpaca socket at once; it reconnects when the Lease is free', async () => {
  const kafka = kafkaFromEnv();
  const kube = controlPlaneFromEnv();
  const admin: KubeConfig = kube.kubeConfig();
  const namespace = await createTestNamespace(admin, 'fwd-lease');
  const sim = await startSim(cleanup);
  const topics = await freshTopics(kafka);
  const env = forwarderEnv(sim, kafka, topics, {
    POD_NAMESPACE: namespace,
    POD_NAME: 'fwd-a',
    // Renew deadline 6.7 s: a busy machine does not lose the Lease by stalling; retry 1.3 s.
    LEASE_DURATION_SEC: '10',
    ENABLE_GAP_FILL: 'true',
  });
  const fwd = await startInProcess(env, { kubeConfig: kubeConfigFromFile(kube.kubeconfigPath) });
  cleanup.push(() => fwd.running.stop('test'));
  const metricsPort = fwd.running.health.metricsPort;

  const first = await sim.log.waitForConnection((c) => c.kind === 'market', { timeoutMs: 60_000 });
  const ready = await waitReadiness(fwd.base, (b) => b.ready, 'ready while holding the Lease');
  const name = leaseNameForKeyId(KEY_ID);
  assert.deepEqual(
    {
      held: (ready.detail.lease as { held: boolean }).held,
      name: (ready.detail.lease as { name: string }).name,
    },
    { held: true, name },
  );
  assert.equal(await metric(metricsPort), '1');
  assert.ok(!JSON.stringify(ready).includes(KEY_ID), 'readiness never shows the key id');

  const store = createKubeLeaseStore({
    kubeConfig: kubeConfigFromFile(kube.kubeconfigPath),
    namespace,
    name,
  });
  await overwrite(store, (now) => ({
    holderIdentity: 'intruder',
    leaseDurationSeconds: 3600,
    acquireTimeMs: now,
    renewTimeMs: now,
    leaseTransitions: 1,
  }));
  const closed = await sim.log.waitForClose(first.id, { timeoutMs: 60_000 });
  assert.equal(sim.log.connection(closed.connId).closeHow, 'clean', 'closed with a close frame');
  const waiting = await waitReadiness(
    fwd.base,
    (b, status) => status === 503 && b.reason === 'lease_held_by_other',
    'lease_held_by_other',
  );
  assert.equal(waiting.error_class, 'unknown');
  assert.equal(waiting.gates.alpaca_ws, false);
  assert.equal((waiting.detail.lease as { holder: string }).holder, 'intruder');
  assert.equal(await metric(metricsPort), '0');

  const beforeFree = sim.log.mark();
  const freedAt = await overwrite(store, (now) => ({
    holderIdentity: null,
    leaseDurationSeconds: 1,
    acquireTimeMs: now,
    renewTimeMs: now,
    leaseTransitions: 1,
  }));
  const again = await sim.log.waitForConnection((c) => c.kind === 'market' && c.id !== first.id, {
    timeoutMs: 60_000,
  });
  const markets = sim.log.connectionList().filter((c) => c.kind === 'market');
  assert.deepEqual(
    markets.map((c) => c.id),
    [first.id, again.id],
    'no connection while the intruder held the Lease',
  );
  assert.ok(again.connectedAt >= freedAt, 'reconnected only after the Lease was free');
  await waitReadiness(fwd.base, (b) => b.ready, 'ready again');
  // The time without a connection is filled over REST like a dropped socket's gap.
  await sim.log.waitFor((e) => e.type === 'rest' && /\/bars/.test(e.path), {
    since: beforeFree,
    timeoutMs: 60_000,
    what: 'a REST bars request for the gap',
  });
  assert.equal(await metric(metricsPort), '1');

  assert.equal(await fwd.running.stop('SIGTERM'), 0);
  assert.equal(sim.log.connection(again.id).closeHow, 'clean');
  assert.equal((await store.get())?.holderIdentity, null, 'released on stop');
});
