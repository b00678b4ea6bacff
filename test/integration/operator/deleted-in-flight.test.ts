/**
 * A resource deleted while its reconcile is in flight, against the real API server: the
 * reconcile reads the AlpacaForwarder, the user deletes it (here: from inside the reconcile, at
 * its PodMonitor discovery step, so the timing is exact), and the status write that follows gets
 * the API server's own 404. That is one info line naming the request, with none of the HTTP
 * exchange (headers such as audit-id), no warn or error line, no Event and no error counted.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { before, test } from 'node:test';
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { type AlpacaForwarder, FIELD_MANAGER, STATUS_FIELD_MANAGER } from '../../../operator/api/types.ts';
import { makeReconciler } from '../../../operator/controller/reconcile.ts';
import { KubeClient } from '../../../operator/kube/client.ts';
import { EventRecorder } from '../../../operator/kube/events.ts';
import { ALPACA_FORWARDER } from '../../../operator/kube/resources.ts';
import { createOperatorMetrics } from '../../../operator/metrics.ts';
import { controlPlaneFromEnv, createTestNamespace } from '../../infra/kube/index.ts';
import { FakeTimers } from '../../support/fake-timers.ts';
import { clientConfigOf } from '../../support/kube-client-config.ts';
import { forwarder, SETTINGS } from '../../support/operator-fixtures.ts';
import { installCrd } from './harness.ts';

let kc: KubeConfig;
let namespace: string;

before(async () => {
  const plane = controlPlaneFromEnv();
  kc = plane.kubeConfig();
  await installCrd(plane.kubeconfigPath, kc);
  namespace = await createTestNamespace(kc, 'deleted-in-flight');
});

test('deleted between the read and the status write: the real 404 is one info line, no headers, no Event', async () => {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const name = 'gone-mid-reconcile';
  const af = forwarder({ name, namespace });
  const { metadata, ...rest } = af;
  await custom.createNamespacedCustomObject({
    group: ALPACA_FORWARDER.group,
    version: ALPACA_FORWARDER.version,
    namespace,
    plural: ALPACA_FORWARDER.plural,
    body: { ...rest, metadata: { name, namespace } },
  });

  const client = new KubeClient(clientConfigOf(kc), { apply: FIELD_MANAGER, status: STATUS_FIELD_MANAGER });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const events: unknown[] = [];
  const timers = new FakeTimers();
  const metrics = createOperatorMetrics();
  let deleted = false;
  const reconcile = makeReconciler({
    client,
    settings: SETTINGS,
    probes: { latest: () => undefined, track: () => {}, untrack: () => {} },
    recorder: new EventRecorder(
      {
        create: async (_ns, e) => {
          events.push(e);
        },
        patch: async () => {},
      },
      { reportingController: 'c', reportingInstance: 'i', timers },
    ),
    forwarders: () => [],
    podsOf: () => [],
    timers,
    probeIntervalReadyMs: 30_000,
    probeIntervalNotReadyMs: 10_000,
    metrics,
    logger: pino({ level: 'debug' }, sink),
    // The reconcile has read the resource; the user deletes it now.
    podMonitors: async () => {
      await custom.deleteNamespacedCustomObject({
        group: ALPACA_FORWARDER.group,
        version: ALPACA_FORWARDER.version,
        namespace,
        plural: ALPACA_FORWARDER.plural,
        name,
      });
      assert.equal(
        await client.get<AlpacaForwarder & KubernetesObject>(ALPACA_FORWARDER, namespace, name),
        undefined,
      );
      deleted = true;
      return false;
    },
  });

  const out = await reconcile(`${namespace}/${name}`, new AbortController().signal);
  assert.ok(deleted, 'the reconcile reached the deletion point');
  assert.equal(out, undefined, 'nothing to requeue');
  assert.deepEqual(
    lines.filter((l) => Number(l.level) >= 40).map((l) => l.msg),
    [],
    'no warn or error line',
  );
  const line = lines.find((l) => l.msg === 'resource deleted during its reconcile');
  assert.equal(line?.level, 30);
  assert.match(String(line?.request), new RegExp(`${namespace}/${name}`));
  assert.doesNotMatch(JSON.stringify(lines), /audit-id|x-kubernetes-pf|content-type/i);
  assert.deepEqual(events, []);
  assert.doesNotMatch(
    await metrics.registry.getSingleMetricAsString('alpaca_forwarder_operator_reconcile_errors_total'),
    /_total\{[^}]*\} [1-9]/,
  );
});
