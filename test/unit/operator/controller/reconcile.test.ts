/**
 * The reconcile sequence with a scripted API (the pure parts are the real ones): what is written,
 * in which order, and what is not written. The real API server is exercised by
 * test/integration/operator/.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { ApiException, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { AlpacaForwarder, AlpacaForwarderStatus } from '../../../../operator/api/types.ts';
import { INTERNAL_ERROR_NOTE } from '../../../../operator/controller/error-note.ts';
import { SecretInputsMemo } from '../../../../operator/controller/inputs.ts';
import type { ProbeOutcome, ProbeTarget } from '../../../../operator/controller/probe.ts';
import {
  type KubeOps,
  makeReconciler,
  type ProbeBoard,
  type ReconcileCache,
} from '../../../../operator/controller/reconcile.ts';
import { applyWaves } from '../../../../operator/controller/reconcile-plan.ts';
import { ANNOTATION_RESTARTED_AT } from '../../../../operator/desired/names.ts';
import { KubeError, toKubeError } from '../../../../operator/kube/errors.ts';
import { EventRecorder } from '../../../../operator/kube/events.ts';
import type { ResourceType } from '../../../../operator/kube/resources.ts';
import { createOperatorMetrics } from '../../../../operator/metrics.ts';
import { FakeTimers } from '../../../support/fake-timers.ts';
import { forwarder, SECRET_VALUES, SETTINGS } from '../../../support/operator-fixtures.ts';
import { readyBody } from '../../../support/readiness-bodies.ts';

type Write = { op: 'apply' | 'status' | 'delete' | 'event'; kind: string; obj?: unknown };

function scripted(af: AlpacaForwarder | undefined) {
  const writes: Write[] = [];
  let current = af;
  const client: KubeOps = {
    get: (async (rt: ResourceType) =>
      rt.kind === 'AlpacaForwarder' ? structuredClone(current) : undefined) as KubeOps['get'],
    apply: (async (obj: KubernetesObject) => {
      writes.push({ op: 'apply', kind: obj.kind ?? '', obj: structuredClone(obj) });
      if (obj.kind === 'Deployment') {
        return {
          ...obj,
          metadata: { ...obj.metadata, generation: 1 },
          status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1 },
        };
      }
      return obj;
    }) as KubeOps['apply'],
    delete: async (rt) => {
      writes.push({ op: 'delete', kind: rt.kind });
      return false;
    },
    applyStatus: async (_rt, _ns, _name, status) => {
      writes.push({ op: 'status', kind: 'AlpacaForwarder', obj: structuredClone(status) });
      if (current) current = { ...current, status: status as AlpacaForwarderStatus };
      return {} as KubernetesObject;
    },
    readSecretKeys: async (_ns, _name, keys) =>
      new Map(
        keys.map((k) => [
          k,
          Buffer.from(k === 'APCA_API_KEY_ID' ? SECRET_VALUES.keyId : SECRET_VALUES.secretKey),
        ]),
      ),
  };
  return { client, writes, current: () => current };
}

/** The probe scheduler's side as the reconcile sees it: a fixed latest result; records what is tracked. */
function board(probeOutcome: ProbeOutcome) {
  const tracks: Array<{ key: string; target: ProbeTarget; intervalMs: number }> = [];
  const probes: ProbeBoard = {
    latest: () => ({ outcome: probeOutcome, at: 0 }),
    track: (key, target, intervalMs) => tracks.push({ key, target, intervalMs }),
    untrack: () => {},
  };
  return { probes, tracks };
}

function deps(client: KubeOps, probeOutcome: ProbeOutcome, timers = new FakeTimers(), writes: Write[] = []) {
  const { probes, tracks } = board(probeOutcome);
  const pod: V1Pod = {
    metadata: { name: 'p', namespace: 'torghut', creationTimestamp: new Date() },
    status: { phase: 'Running', podIP: '10.0.0.9' },
  };
  return {
    client,
    settings: SETTINGS,
    probes,
    tracks,
    recorder: new EventRecorder(
      {
        create: async (_ns, e) => {
          writes.push({ op: 'event', kind: e.reason ?? '', obj: e });
        },
        patch: async () => {},
      },
      { reportingController: 'c', reportingInstance: 'i', timers },
    ),
    forwarders: () => [],
    podsOf: () => [pod],
    timers,
    probeIntervalReadyMs: 30_000,
    probeIntervalNotReadyMs: 10_000,
    metrics: createOperatorMetrics(),
    logger: pino({ level: 'silent' }),
  };
}

const ready: ProbeOutcome = { kind: 'reported', httpStatus: 200, body: readyBody() };

/** One reconcile whose Deployment apply throws err; it must reject with err itself. */
async function reconcileFailingDeploymentApply(err: Error) {
  const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
  s.client.apply = (async (obj: KubernetesObject) => {
    if (obj.kind === 'Deployment') throw err;
    return obj;
  }) as KubeOps['apply'];
  const reconcile = makeReconciler(deps(s.client, ready, undefined, s.writes));
  await assert.rejects(reconcile('torghut/equities', new AbortController().signal), (e) => e === err);
  return s;
}

describe('reconcile', () => {
  test('applies every child, writes status once, and does not rewrite an unchanged status', async () => {
    const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
    const reconcile = makeReconciler(deps(s.client, ready, undefined, s.writes));
    const out = await reconcile('torghut/equities', new AbortController().signal);
    assert.deepEqual(
      s.writes.filter((w) => w.op === 'apply').map((w) => w.kind),
      ['ServiceAccount', 'Role', 'ConfigMap', 'Service', 'NetworkPolicy', 'RoleBinding', 'Deployment'],
    );
    assert.equal(s.writes.filter((w) => w.op === 'status').length, 1);
    assert.equal(
      out?.requeueAfterMs,
      undefined,
      'no periodic requeue: probe results bring the next reconcile',
    );
    const ready1 = s.current()?.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready1?.status, 'True');

    s.writes.length = 0;
    const d = deps(s.client, ready, undefined, s.writes);
    await makeReconciler(d)('torghut/equities', new AbortController().signal);
    assert.deepEqual(
      d.tracks.map((t) => [t.key, t.target.podIP, t.intervalMs]),
      [['torghut/equities', '10.0.0.9', 30_000]],
      'the running pod is probed at the ready interval once Ready',
    );
    assert.equal(s.writes.filter((w) => w.op === 'status').length, 0, 'status unchanged: not written again');
    assert.doesNotMatch(
      JSON.stringify(s.writes),
      new RegExp(`${SECRET_VALUES.keyId}|${SECRET_VALUES.secretKey}`),
    );
  });

  test('a 406 held past stuckAfterSeconds: status (with restartedAt) is written before the Deployment carries it; one Event', async () => {
    const timers = new FakeTimers();
    const now = timers.now();
    const since = new Date(now - 200_000).toISOString();
    const s = scripted(
      forwarder({
        spec: { credentialsSecretRef: { name: 'creds' } },
        status: { errorClass: 'alpaca_406_second_connection', errorSince: since, restarts: { count: 0 } },
      }),
    );
    const stuck: ProbeOutcome = {
      kind: 'reported',
      httpStatus: 503,
      body: {
        ready: false,
        error_class: 'alpaca_406_second_connection',
        reason: 'alpaca_406_connection_limit',
        gates: { alpaca_ws: false, kafka: true, trade_updates: null },
        since,
        detail: {},
      },
    };
    const reconcile = makeReconciler(deps(s.client, stuck, timers, s.writes));
    await reconcile('torghut/equities', new AbortController().signal);
    const statusAt = s.writes.findIndex((w) => w.op === 'status');
    const restartApply = s.writes.findLastIndex((w) => w.op === 'apply' && w.kind === 'Deployment');
    assert.ok(statusAt >= 0 && restartApply > statusAt, 'status first, then the restarting apply');
    const status = s.writes[statusAt]?.obj as AlpacaForwarderStatus;
    assert.equal(status.restarts?.count, 1);
    const dep = s.writes[restartApply]?.obj as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    assert.equal(
      dep.spec.template.metadata.annotations[ANNOTATION_RESTARTED_AT],
      status.restarts?.restartedAt,
    );
    assert.equal(s.writes.filter((w) => w.op === 'event' && w.kind === 'RestartTriggered').length, 1);

    // The next reconcile re-sends the same restartedAt (no second restart).
    s.writes.length = 0;
    await reconcile('torghut/equities', new AbortController().signal);
    const deps2 = s.writes.filter((w) => w.op === 'apply' && w.kind === 'Deployment');
    assert.equal(deps2.length, 1);
    const again = deps2[0]?.obj as typeof dep;
    assert.equal(
      again.spec.template.metadata.annotations[ANNOTATION_RESTARTED_AT],
      status.restarts?.restartedAt,
    );
    assert.equal(s.writes.filter((w) => w.op === 'event' && w.kind === 'RestartTriggered').length, 0);
  });

  test('an error that retrying will not fix becomes a Warning Event; a retryable one does not', async () => {
    for (const [err, events] of [
      [
        new KubeError(
          'Invalid',
          422,
          'apply Deployment torghut/equities-forwarder: HTTP 422: spec.template is invalid',
        ),
        1,
      ],
      [new KubeError('Conflict', 409, 'apply Deployment torghut/equities-forwarder: HTTP 409: conflict'), 0],
    ] as const) {
      const s = await reconcileFailingDeploymentApply(err);
      const recorded = s.writes.filter((w) => w.op === 'event' && w.kind === 'ReconcileError');
      assert.equal(recorded.length, events, `${err.kind}: ${events} Event(s)`);
    }
  });

  test('a forced API rejection: the Event says what was rejected from the Status fields only, never the body or headers', async () => {
    // What client-node 2.0.1 throws for a 422 answer to a server-side apply, turned into a
    // KubeError exactly as KubeClient.apply does.
    const longMessage = `Deployment.apps "equities-forwarder" is invalid: spec.template.spec.containers[0].image: Required value ${'x'.repeat(400)}`;
    const rejected = toKubeError(
      new ApiException(
        422,
        'Unsuccessful HTTP Request',
        {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Invalid',
          code: 422,
          message: longMessage,
          details: {
            name: 'equities-forwarder',
            kind: 'Deployment',
            causes: [{ reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].image' }],
          },
          metadata: { annotations: { leaked: 'BODY-ONLY-VALUE' } },
        },
        { 'audit-id': 'HEADER-VALUE-0f3a', 'set-cookie': 'session=HEADER-COOKIE' },
      ),
      'apply Deployment torghut/equities-forwarder',
    );
    const s = await reconcileFailingDeploymentApply(rejected);
    const notes = s.writes
      .filter((w) => w.op === 'event' && w.kind === 'ReconcileError')
      .map((w) => (w.obj as { note: string }).note);
    assert.equal(notes.length, 1);
    const note = notes[0] ?? '';
    assert.ok(
      note.startsWith(
        'the API server rejected apply Deployment torghut/equities-forwarder: 422 Invalid (field spec.template.spec.containers[0].image): Deployment.apps "equities-forwarder" is invalid: ',
      ),
      note,
    );
    assert.ok(note.length <= 512, `bounded note, got ${note.length} characters`);
    assert.ok(note.endsWith('…'), 'the long Status message is truncated');
    assert.doesNotMatch(note, /HEADER-|BODY-ONLY|HTTP-Code|Headers|Body:/);
  });

  test('a forced internal error: the Event says "internal error, see the operator log"; the log has the full error at error level with the key', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
    const internal = new TypeError('cannot read properties of undefined (reading "internalDetail")');
    s.client.readSecretKeys = async () => {
      throw internal;
    };
    const d = { ...deps(s.client, ready, undefined, s.writes), logger: pino({ level: 'info' }, sink) };
    await assert.rejects(
      makeReconciler(d)('torghut/equities', new AbortController().signal),
      (e) => e === internal,
    );
    const notes = s.writes
      .filter((w) => w.op === 'event' && w.kind === 'ReconcileError')
      .map((w) => (w.obj as { note: string }).note);
    assert.deepEqual(notes, [INTERNAL_ERROR_NOTE]);
    const logged = lines.find((l) => l.msg === 'reconcile failed');
    assert.equal(logged?.level, 50, 'error level');
    assert.equal(logged?.key, 'torghut/equities');
    const err = logged?.err as { type: string; message: string; stack: string };
    assert.equal(err.type, 'TypeError');
    assert.match(err.message, /internalDetail/);
    assert.match(err.stack, /reconcile/);
  });

  test('an aborted reconcile (leadership lost) writes nothing; a deleted resource is left to garbage collection', async () => {
    const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
    const reconcile = makeReconciler(deps(s.client, ready, undefined, s.writes));
    const ac = new AbortController();
    ac.abort(new Error('lost the lease'));
    await assert.rejects(reconcile('torghut/equities', ac.signal), /lost the lease/);
    assert.deepEqual(s.writes, []);

    const gone = scripted(undefined);
    const out = await makeReconciler(deps(gone.client, ready, undefined, gone.writes))(
      'torghut/equities',
      new AbortController().signal,
    );
    assert.equal(out, undefined);
    assert.deepEqual(gone.writes, []);
  });
  for (const [code, reason] of [
    [404, 'NotFound'],
    [409, 'Conflict'],
  ] as const) {
    test(`a resource deleted while its reconcile is in flight (${code} ${reason}): one info line without the HTTP exchange, no error, no Event`, async () => {
      const lines: Array<Record<string, unknown>> = [];
      const sink = new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      });
      const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
      const metrics = createOperatorMetrics();
      s.client.applyStatus = async () => {
        // The user deleted it between the read and the status write.
        s.client.get = (async () => undefined) as KubeOps['get'];
        throw toKubeError(
          new ApiException(
            code,
            'Unsuccessful HTTP Request',
            {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              reason,
              code,
              message: code === 404 ? 'not found' : 'Precondition failed: UID in precondition',
            },
            { 'audit-id': 'HEADER-VALUE-0f3a' },
          ),
          'apply status AlpacaForwarder torghut/equities',
        );
      };
      const d = {
        ...deps(s.client, ready, undefined, s.writes),
        metrics,
        logger: pino({ level: 'debug' }, sink),
      };
      const out = await makeReconciler(d)('torghut/equities', new AbortController().signal);
      assert.equal(out, undefined, 'nothing to requeue');
      assert.deepEqual(
        lines.filter((l) => Number(l.level) >= 40).map((l) => l.msg),
        [],
        'no warn or error line',
      );
      const line = lines.find((l) => l.msg === 'resource deleted during its reconcile');
      assert.equal(line?.level, 30);
      assert.equal(line?.request, 'apply status AlpacaForwarder torghut/equities');
      assert.doesNotMatch(JSON.stringify(lines), /HEADER-VALUE|audit-id/);
      assert.deepEqual(
        s.writes.filter((w) => w.op === 'event').map((w) => w.kind),
        [],
      );
      const errors = await metrics.registry.getSingleMetricAsString(
        'alpaca_forwarder_operator_reconcile_errors_total',
      );
      assert.doesNotMatch(errors, /_total\{[^}]*\} [1-9]/, 'no reconcile error counted');
    });
  }
  test('a routine Ready=False transition (Suspended) is a Normal Event', async () => {
    const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' }, suspend: true } }));
    await makeReconciler(deps(s.client, ready, undefined, s.writes))(
      'torghut/equities',
      new AbortController().signal,
    );
    const events = s.writes
      .filter((w) => w.op === 'event')
      .map((w) => w.obj as { type: string; reason: string });
    assert.deepEqual(
      events.map((e) => [e.reason, e.type]),
      [['Suspended', 'Normal']],
    );
  });
  test('applies a PodMonitor when the cluster serves them, none otherwise; restarts_triggered exported at 0', async () => {
    const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
    const metrics = createOperatorMetrics();
    const d = { ...deps(s.client, ready, undefined, s.writes), metrics, podMonitors: async () => true };
    await makeReconciler(d)('torghut/equities', new AbortController().signal);
    assert.ok(s.writes.some((w) => w.op === 'apply' && w.kind === 'PodMonitor'));
    assert.match(
      await metrics.registry.getSingleMetricAsString('alpaca_forwarder_operator_restarts_triggered_total'),
      /restarts_triggered_total\{namespace="torghut",name="equities"\} 0/,
    );
    const t = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
    await makeReconciler({ ...deps(t.client, ready, undefined, t.writes), podMonitors: async () => false })(
      'torghut/equities',
      new AbortController().signal,
    );
    assert.ok(!t.writes.some((w) => w.kind === 'PodMonitor'));
  });
});

describe('reconcile from the informer caches', () => {
  /** The scripted API plus a cache that holds what was applied, with server-added fields. */
  function cached() {
    const s = scripted(forwarder({ spec: { credentialsSecretRef: { name: 'creds' } } }));
    const children = new Map<string, KubernetesObject>();
    let secretReads = 0;
    const apply = s.client.apply;
    s.client.apply = (async (obj: KubernetesObject) => {
      const out = (await apply(obj)) as KubernetesObject;
      // What the server keeps (wire names: the model's `_from` is `from`) and adds: uid,
      // resourceVersion, defaults the intent does not mention.
      const wire = JSON.parse(JSON.stringify(out).replaceAll('"_from":', '"from":')) as KubernetesObject;
      const stored = structuredClone({
        ...wire,
        metadata: { ...wire.metadata, uid: `uid-${obj.kind}`, resourceVersion: '7' },
        spec: { ...(wire as { spec?: object }).spec, serverDefault: true },
      }) as KubernetesObject;
      children.set(`${obj.kind}/${obj.metadata?.name}`, stored);
      return out;
    }) as KubeOps['apply'];
    const read = s.client.readSecretKeys;
    s.client.readSecretKeys = async (ns, name, keys) => {
      secretReads++;
      return read(ns, name, keys);
    };
    s.client.get = (async () => {
      throw new Error('no GET where the cache has the object');
    }) as KubeOps['get'];
    let secretVersion = '1';
    const cache: ReconcileCache = {
      forwarder: () => structuredClone(s.current()),
      child: (kind, _ns, name) => children.get(`${kind}/${name}`),
      secretVersion: () => secretVersion,
    };
    const d = { ...deps(s.client, ready, undefined, s.writes), cache, secretInputs: new SecretInputsMemo() };
    return {
      ...s,
      children,
      reconcile: makeReconciler(d),
      secretReads: () => secretReads,
      bumpSecret: () => {
        secretVersion = String(Number(secretVersion) + 1);
      },
    };
  }
  const applies = (w: Write[]) => w.filter((x) => x.op === 'apply').map((x) => x.kind);

  test('a second reconcile with nothing changed applies nothing, writes nothing and reads no Secret', async () => {
    const c = cached();
    await c.reconcile('torghut/equities', new AbortController().signal);
    assert.equal(applies(c.writes).length, 7);
    assert.equal(c.secretReads(), 1);
    c.writes.length = 0;
    await c.reconcile('torghut/equities', new AbortController().signal);
    assert.deepEqual(c.writes, [], 'no apply, no status write, no Event');
    assert.equal(c.secretReads(), 1, 'the Secret did not change: not read again');
  });

  test('a child edited by someone else, or a spec change, is applied again; a changed Secret is read again', async () => {
    const c = cached();
    await c.reconcile('torghut/equities', new AbortController().signal);
    const cm = c.children.get('ConfigMap/equities-forwarder') as KubernetesObject & {
      data: Record<string, string>;
    };
    cm.data = Object.fromEntries(Object.keys(cm.data).map((k) => [k, 'edited']));
    c.writes.length = 0;
    await c.reconcile('torghut/equities', new AbortController().signal);
    assert.deepEqual(applies(c.writes), ['ConfigMap'], 'only the drifted child');

    c.writes.length = 0;
    c.bumpSecret();
    await c.reconcile('torghut/equities', new AbortController().signal);
    assert.equal(c.secretReads(), 2, 'a new Secret resourceVersion: read again');
    assert.deepEqual(applies(c.writes), [], 'same values: nothing to apply');
  });
});

test('children are applied in waves: the rest at once, then the RoleBinding (after its Role), then the Deployment', () => {
  const kinds = [
    'ServiceAccount',
    'Deployment',
    'Role',
    'RoleBinding',
    'ConfigMap',
    'Service',
    'NetworkPolicy',
  ];
  const waves = applyWaves(kinds.map((kind) => ({ kind }))).map((w) => w.map((o) => o.kind));
  assert.deepEqual(waves, [
    ['ServiceAccount', 'Role', 'ConfigMap', 'Service', 'NetworkPolicy'],
    ['RoleBinding'],
    ['Deployment'],
  ]);
  assert.deepEqual(applyWaves([{ kind: 'Deployment' }]), [[{ kind: 'Deployment' }]]);
});
