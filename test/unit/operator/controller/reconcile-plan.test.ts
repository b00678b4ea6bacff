/**
 * The reconcile plan, pure (reconcile-plan.ts, reconcile-finish.ts): which actions, in which
 * order, from a given observation; and that the executor (reconcile-execute.ts) stops at the
 * first failed action. The whole reconcile with a scripted API is reconcile.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { AlpacaForwarder, AlpacaForwarderStatus } from '../../../../operator/api/types.ts';
import { stampApplied } from '../../../../operator/controller/apply-needed.ts';
import type { KubeOps } from '../../../../operator/controller/reconcile.ts';
import { type ExecutionState, execute } from '../../../../operator/controller/reconcile-execute.ts';
import {
  type FinishInput,
  forwarderRuns,
  planFinish,
  planProbe,
} from '../../../../operator/controller/reconcile-finish.ts';
import { type Observed, toProbeResult } from '../../../../operator/controller/reconcile-observe.ts';
import {
  planChildren,
  planGone,
  type ReconcileAction,
} from '../../../../operator/controller/reconcile-plan.ts';
import { buildChildren } from '../../../../operator/desired/children.ts';
import { ANNOTATION_RESTARTED_AT } from '../../../../operator/desired/names.ts';
import { KubeError } from '../../../../operator/kube/errors.ts';
import { EventRecorder } from '../../../../operator/kube/events.ts';
import { createOperatorMetrics } from '../../../../operator/metrics.ts';
import { deploymentState } from '../../../../operator/status/deployment-state.ts';
import type { ProbeResult } from '../../../../operator/status/probe.ts';
import { forwarder, SETTINGS } from '../../../support/operator-fixtures.ts';
import { failingBody, readyBody } from '../../../support/readiness-bodies.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const INTERVALS = { probeIntervalReadyMs: 30_000, probeIntervalNotReadyMs: 10_000 };
const READY: ProbeResult = { kind: 'body', httpStatus: 200, body: readyBody() };
const STUCK_406: ProbeResult = {
  kind: 'body',
  httpStatus: 503,
  body: failingBody('alpaca_406_second_connection', 'alpaca_406_connection_limit'),
};
const POD: V1Pod = {
  metadata: { name: 'p', creationTimestamp: new Date(NOW - 60_000) },
  status: { phase: 'Running', podIP: '10.0.0.9' },
};

type Cache = Map<string, KubernetesObject>;

function observed(af: AlpacaForwarder, cache?: Cache): Observed {
  return {
    key: 'torghut/equities',
    namespace: 'torghut',
    name: 'equities',
    af,
    now: new Date(NOW),
    inputs: { ok: true, secretHash: 'secret-hash', keyIdHash: 'key-id-hash', leaseName: 'alpaca-lease' },
    rivals: [],
    topics: undefined,
    podMonitor: false,
    strimzi: undefined,
    cachedChild: cache ? (kind, name) => cache.get(`${kind}/${name}`) : undefined,
  };
}

/** What the API server returns for an applied child (wire names, server fields; a rolled-out Deployment). */
function served(obj: KubernetesObject): KubernetesObject {
  const wire = JSON.parse(JSON.stringify(obj).replaceAll('"_from":', '"from":')) as KubernetesObject;
  const out = { ...wire, metadata: { ...wire.metadata, uid: `uid-${obj.kind}`, resourceVersion: '7' } };
  if (obj.kind !== 'Deployment') return out;
  return {
    ...out,
    metadata: { ...out.metadata, generation: 1 },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1 },
  } as KubernetesObject;
}

/** The informer cache after every planned child was applied. */
function cacheOf(actions: readonly ReconcileAction[]): Cache {
  const cache: Cache = new Map();
  for (const a of actions) {
    if (a.do !== 'apply') continue;
    for (const obj of a.objects) cache.set(`${obj.kind}/${obj.metadata?.name}`, served(obj));
  }
  return cache;
}

/** One line per action: what it is about, not its payload. */
function summary(actions: readonly ReconcileAction[]): string[] {
  return actions.map((a) => {
    if (a.do === 'skip') return `skip ${a.kind}`;
    if (a.do === 'apply') return `apply ${a.objects.map((o) => o.kind).join(',')}`;
    if (a.do === 'event') return `event ${a.event.reason}`;
    if (a.do === 'requeue') return `requeue ${a.afterMs}`;
    return a.do;
  });
}

/** The whole plan of one reconcile, with the Deployment the children step ends with. */
function planAll(o: Observed, probe: ProbeResult, deployment?: V1Deployment) {
  const children = planChildren(o, SETTINGS);
  const applied = children.actions.flatMap((a) => (a.do === 'apply' ? a.objects : []));
  const skipped = children.actions.flatMap((a) => (a.do === 'skip' ? [a.cached] : []));
  const dep = deployment ?? [...applied.map(served), ...skipped].find((c) => c.kind === 'Deployment');
  const state = deploymentState(dep as V1Deployment | undefined);
  const runs = forwarderRuns(o, children, state);
  const probing = planProbe(o, runs ? [POD] : [], INTERVALS);
  const input: FinishInput = {
    observed: o,
    children,
    deployment: state,
    runs,
    probe: probing.do === 'track' ? probe : { kind: 'skipped' },
    probeIntervalNotReadyMs: INTERVALS.probeIntervalNotReadyMs,
  };
  return { children, probing, finish: planFinish(input) };
}

const WAVE_1 = 'apply ServiceAccount,Role,ConfigMap,Service,NetworkPolicy';

describe('reconcile plan', () => {
  test('a first reconcile without a cache: every child in waves, then status and its Ready Event', () => {
    const { children, probing, finish } = planAll(observed(forwarder()), READY);
    assert.deepEqual(summary(children.actions), [WAVE_1, 'apply RoleBinding', 'apply Deployment']);
    assert.equal(probing.do, 'track');
    assert.deepEqual(summary(finish), ['writeStatus', 'event Ready']);
  });

  test('nothing changed: every child skipped, no status write, no Event, no requeue', () => {
    const first = planAll(observed(forwarder()), READY);
    const write = first.finish.find((a) => a.do === 'writeStatus');
    assert.ok(write?.do === 'writeStatus');
    const af = forwarder({ status: write.status });
    const { children, probing, finish } = planAll(observed(af, cacheOf(first.children.actions)), READY);
    assert.deepEqual(summary(children.actions), [
      'skip ServiceAccount',
      'skip Role',
      'skip ConfigMap',
      'skip Service',
      'skip NetworkPolicy',
      'skip RoleBinding',
      'skip Deployment',
    ]);
    assert.deepEqual(probing.do === 'track' && [probing.target.podIP, probing.intervalMs], [
      '10.0.0.9',
      30_000,
    ]);
    assert.deepEqual(finish, []);
  });

  test('a changed child: only it is applied, in its wave', () => {
    const first = planAll(observed(forwarder()), READY);
    const cache = cacheOf(first.children.actions);
    const cm = cache.get('ConfigMap/equities-forwarder') as KubernetesObject & {
      data: Record<string, string>;
    };
    cm.data = Object.fromEntries(Object.keys(cm.data).map((k) => [k, 'edited']));
    const { children } = planAll(observed(forwarder(), cache), READY);
    assert.deepEqual(summary(children.actions), [
      'skip ServiceAccount',
      'skip Role',
      'skip Service',
      'skip NetworkPolicy',
      'apply ConfigMap',
      'skip RoleBinding',
      'skip Deployment',
    ]);
  });

  test('a 406 held past stuckAfterSeconds: status (recording restartedAt) before the restart, then its Event', () => {
    const since = new Date(NOW - 200_000).toISOString();
    const status: AlpacaForwarderStatus = {
      errorClass: 'alpaca_406_second_connection',
      errorSince: since,
      restarts: { count: 0 },
    };
    const af = forwarder({ status });
    const { finish } = planAll(observed(af), STUCK_406);
    assert.deepEqual(summary(finish), [
      'writeStatus',
      'event alpaca_406_second_connection',
      'restart',
      'event RestartTriggered',
    ]);
    const [write, , restart] = finish;
    assert.ok(write?.do === 'writeStatus' && restart?.do === 'restart');
    const restartedAt = write.status.restarts?.restartedAt;
    assert.equal(restart.restartedAt, restartedAt);
    assert.equal(
      restart.deployment.spec?.template.metadata?.annotations?.[ANNOTATION_RESTARTED_AT],
      restartedAt,
    );
    // The one build of the reconcile, with the new restartedAt: the same object a rebuild gives.
    const rebuilt = buildChildren(af, SETTINGS, { secretHash: 'secret-hash', restartedAt, hold: false });
    const dep = rebuilt.apply.find((c) => c.kind === 'Deployment') as V1Deployment & KubernetesObject;
    assert.deepEqual(restart.deployment, stampApplied(dep));
  });

  test('a 406 not yet held long enough: status, then a requeue for the policy clock; no restart', () => {
    const af = forwarder();
    const { finish } = planAll(observed(af), STUCK_406);
    assert.deepEqual(summary(finish), ['writeStatus', 'event alpaca_406_second_connection', 'requeue 10000']);
  });

  test('a new pod on its way up: one Event (RollingOut), then status writes without NoPod/ProbeFailed Events', () => {
    const NO_ANSWER: ProbeResult = { kind: 'failed', error: 'no answer' };
    const rolling = { observedGeneration: 0, replicas: 0, updatedReplicas: 0 };
    const rolledOut = { observedGeneration: 1, replicas: 1, updatedReplicas: 1 };
    /** One reconcile of af: the Deployment with `status`, the pod running or not. */
    const step = (af: AlpacaForwarder, status: object, podRunning: boolean, probe: ProbeResult) => {
      const o = observed(af);
      const children = planChildren(o, SETTINGS);
      const state = deploymentState({
        metadata: { generation: 1 },
        spec: { replicas: 1 },
        status,
      } as V1Deployment);
      const runs = forwarderRuns(o, children, state);
      const probing = planProbe(o, runs && podRunning ? [POD] : [], INTERVALS);
      return planFinish({
        observed: o,
        children,
        deployment: state,
        runs,
        probe: probing.do === 'track' ? probe : { kind: 'skipped' },
        probeIntervalNotReadyMs: INTERVALS.probeIntervalNotReadyMs,
      });
    };
    const next = (finish: ReconcileAction[]) => {
      const w = finish.find((a) => a.do === 'writeStatus');
      assert.ok(w?.do === 'writeStatus');
      return forwarder({ status: w.status });
    };
    const ready = (af: AlpacaForwarder) => af.status?.conditions?.find((c) => c.type === 'Ready')?.reason;

    const first = step(forwarder(), rolling, false, NO_ANSWER);
    assert.deepEqual(summary(first), ['writeStatus', 'event RollingOut']);
    const created = next(first);
    const noPod = step(created, rolledOut, false, NO_ANSWER);
    assert.deepEqual(summary(noPod), ['writeStatus']);
    assert.equal(ready(next(noPod)), 'NoPod');
    const notAnswering = step(next(noPod), rolledOut, true, NO_ANSWER);
    assert.deepEqual(summary(notAnswering), ['writeStatus']);
    assert.equal(ready(next(notAnswering)), 'ProbeFailed');
    // Straight from the rollout to a pod that does not answer: no Event either.
    assert.deepEqual(summary(step(created, rolledOut, true, NO_ANSWER)), ['writeStatus']);
    // A pod that answers: Ready, with its Event.
    const up = step(next(notAnswering), rolledOut, true, READY);
    assert.deepEqual(summary(up), ['writeStatus', 'event Ready']);
    // After it answered, not answering or no pod is news again: Warning Events.
    const stopped = step(next(up), rolledOut, true, NO_ANSWER);
    assert.deepEqual(summary(stopped), ['writeStatus', 'event ProbeFailed']);
    const warning = stopped[1];
    assert.equal(warning?.do === 'event' && warning.event.type, 'Warning');
    assert.deepEqual(summary(step(next(up), rolledOut, false, NO_ANSWER)), ['writeStatus', 'event NoPod']);
    assert.deepEqual(summary(step(next(notAnswering), rolledOut, false, NO_ANSWER)), [
      'writeStatus',
      'event NoPod',
    ]);
  });

  test('a timeout and a connection error read alike in the status; other failures keep their detail', () => {
    const timeout = toProbeResult({ kind: 'unknown', reason: 'timeout', detail: 'no answer within 3000 ms' });
    const refused = toProbeResult({ kind: 'unknown', reason: 'unreachable', detail: 'EHOSTUNREACH' });
    assert.deepEqual(timeout, refused);
    assert.deepEqual(toProbeResult({ kind: 'unknown', reason: 'bad_status', detail: 'HTTP 404' }), {
      kind: 'failed',
      error: 'bad_status: HTTP 404',
    });
  });

  test('a resource gone or being deleted: forget it, write nothing', () => {
    assert.deepEqual(summary(planGone()), ['untrack', 'forget']);
  });
});

describe('reconcile execution', () => {
  test('deleted in flight: the status write answers 404, so the planned restart and its Events never run', async () => {
    const since = new Date(NOW - 200_000).toISOString();
    const af = forwarder({
      status: { errorClass: 'alpaca_406_second_connection', errorSince: since, restarts: { count: 0 } },
    });
    const { finish } = planAll(observed(af), STUCK_406);
    const done: string[] = [];
    const gone = new KubeError('NotFound', 404, 'apply status AlpacaForwarder torghut/equities');
    const client: KubeOps = {
      get: (async () => undefined) as KubeOps['get'],
      apply: (async (obj: KubernetesObject) => {
        done.push(`apply ${obj.kind}`);
        return obj;
      }) as KubeOps['apply'],
      delete: async () => false,
      applyStatus: async () => {
        done.push('status');
        throw gone;
      },
      readSecretKeys: async () => undefined,
    };
    const recorder = new EventRecorder(
      {
        create: async (_ns, e) => {
          done.push(`event ${e.reason}`);
        },
        patch: async () => {},
      },
      { reportingController: 'c', reportingInstance: 'i' },
    );
    const probes = { latest: () => undefined, track: () => {}, untrack: () => {} };
    const deps = { client, probes, recorder, metrics: createOperatorMetrics() };
    const ctx = {
      key: 'torghut/equities',
      namespace: 'torghut',
      name: 'equities',
      deps,
      signal: new AbortController().signal,
      log: pino({ level: 'silent' }),
    };
    const state: ExecutionState = { restarted: false };
    await assert.rejects(execute(ctx, finish, state), (e) => e === gone);
    assert.deepEqual(done, ['status']);
    assert.equal(state.restarted, false);
  });
});
