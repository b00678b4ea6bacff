/**
 * Lease (design §4.1) against a real kube-apiserver: a second forwarder with the same key waits
 * for the Lease and never opens an Alpaca connection while the first streams; when the first
 * shuts down it releases the Lease after its close frame and the second connects at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeConfigFromFile } from '../../../lib/kube/kube-config.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import { controlPlaneFromEnv, createTestNamespace } from '../../infra/kube/index.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  startInProcess,
  startSim,
  waitReadiness,
} from './harness.ts';

const cleanup = cleanupAfterAll();

test('two forwarders with one key: one connection at a time, hand-over on shutdown', async () => {
  const kafka = kafkaFromEnv();
  const kube = controlPlaneFromEnv();
  const sim = await startSim(cleanup);
  const topics = await freshTopics(kafka);
  // A namespace of its own: the Lease name depends only on the key id, which other files share.
  const namespace = await createTestNamespace(kube.kubeConfig(), 'fwd-handover');
  const env = (pod: string) =>
    forwarderEnv(sim, kafka, topics, { POD_NAMESPACE: namespace, POD_NAME: pod, LEASE_DURATION_SEC: '5' });
  const first = await startInProcess(env('fwd-a'), { kubeConfig: kubeConfigFromFile(kube.kubeconfigPath) });
  cleanup.push(() => first.running.stop('test'));
  await waitReadiness(first.base, (b) => b.ready, 'first ready').catch((err) => {
    process.stderr.write(first.log.lines.filter((l) => l.includes('lease')).join('\n'));
    throw err;
  });
  const second = await startInProcess(env('fwd-b'), { kubeConfig: kubeConfigFromFile(kube.kubeconfigPath) });
  cleanup.push(() => second.running.stop('test'));
  await waitForLog(second, 'connection lease held by another process; waiting');
  assert.equal(
    sim.log.connectionList().filter((c) => c.kind === 'market').length,
    1,
    'second did not connect',
  );

  const mark = sim.log.mark();
  assert.equal(await first.running.stop('SIGTERM'), 0);
  const conn = await sim.log.waitForConnection((c) => c.kind === 'market', {
    since: mark,
    timeoutMs: 30_000,
  });
  await waitReadiness(second.base, (b) => b.ready, 'second ready after hand-over');
  assert.notEqual(sim.log.connection(conn.id).authAt, null);
  assert.ok(first.log.text().includes('connection lease released'));
});

async function waitForLog(f: { log: { lines: string[] } }, msg: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (f.log.lines.some((l) => l.includes(msg))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`log line "${msg}" did not appear`);
}
