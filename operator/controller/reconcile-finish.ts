/**
 * The second half of a reconcile plan, pure, decided once the children are applied and the
 * Deployment the API server returned (or the cache holds) is known: what to probe, then the 406
 * restart decision, the status, and the actions in the order that keeps a restart exactly-once:
 * write status (only when it changed, or on a restart) → Event on a Ready transition → restart
 * (the Deployment re-applied with the new restartedAt, which the status written before already
 * records, so a crash in between never repeats or loses a restart) → its Event → requeue, only
 * while the restart policy waits or the topic ensurer has a next pass.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { AlpacaForwarderStatus } from '../api/types.ts';
import { withRestartedAt } from '../desired/deployment.ts';
import { canonicalJson } from '../desired/hash.ts';
import { childName } from '../desired/names.ts';
import type { EventInput } from '../kube/events.ts';
import { decideRestart, type RestartDecision } from '../policy/restart.ts';
import { computeStatus } from '../status/compute.ts';
import type { DeploymentState } from '../status/deployment-state.ts';
import type { ProbeResult } from '../status/probe.ts';
import { strimziCondition, topicsCondition } from '../status/topics-condition.ts';
import { stampApplied } from './apply-needed.ts';
import type { Observed } from './reconcile-observe.ts';
import { type ChildrenPlan, eventTarget, type ReconcileAction } from './reconcile-plan.ts';

export interface ProbeIntervals {
  probeIntervalReadyMs: number;
  probeIntervalNotReadyMs: number;
}

/** The forwarder is meant to run: not suspended, not held, a valid config, the Deployment scaled up. */
export function forwarderRuns(o: Observed, plan: ChildrenPlan, deployment: DeploymentState): boolean {
  return !o.af.spec.suspend && !plan.credentials.inUse && !plan.configError && deployment.desiredReplicas > 0;
}

/** Probe the newest running pod (at the ready interval once Ready); no pod, or not meant to run: stop. */
export function planProbe(o: Observed, pods: readonly V1Pod[], intervals: ProbeIntervals): ReconcileAction {
  const pod = probeablePod(pods);
  if (!pod) return { do: 'untrack' };
  const wasReady = o.af.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return {
    do: 'track',
    target: { namespace: o.namespace, name: o.name, serviceName: childName(o.af), podIP: pod.status?.podIP },
    intervalMs: wasReady ? intervals.probeIntervalReadyMs : intervals.probeIntervalNotReadyMs,
  };
}

/** A pod worth asking: scheduled and running, not being deleted; the newest first. */
function probeablePod(pods: readonly V1Pod[]): V1Pod | undefined {
  return pods
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
    .sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
    )[0];
}

export interface FinishInput {
  observed: Observed;
  children: ChildrenPlan;
  deployment: DeploymentState;
  runs: boolean;
  /** The probe scheduler's latest result; skipped when nothing is probed. */
  probe: ProbeResult;
  probeIntervalNotReadyMs: number;
}

export function planFinish(f: FinishInput): ReconcileAction[] {
  const restart = restartDecision(f);
  const status = statusOf(f, restart);
  return [...statusActions(f, status, restart), ...restartActions(f, restart), ...requeueActions(f, restart)];
}

function restartDecision(f: FinishInput): RestartDecision {
  if (!f.runs) return { action: 'none' };
  const { af, now } = f.observed;
  const previous = af.status;
  const errorClass =
    f.probe.kind === 'body' && !f.probe.body.ready ? (f.probe.body.error_class ?? undefined) : undefined;
  return decideRestart({
    policy: af.spec.restartPolicy.on406,
    errorClass,
    errorSince: previous?.errorClass === errorClass ? previous?.errorSince : undefined,
    restarts: previous?.restarts,
    rolloutInProgress: f.deployment.rolloutInProgress,
    now,
  });
}

function statusOf(f: FinishInput, restart: RestartDecision): AlpacaForwarderStatus {
  const { af, now, inputs, topics, strimzi } = f.observed;
  const { credentials, configError, configHash } = f.children;
  const secretProblem = inputs.ok ? undefined : inputs.missing[0];
  return computeStatus({
    af,
    now,
    probe: f.probe,
    deployment: f.deployment,
    credentials,
    restart,
    ...(secretProblem ? { secretProblem } : {}),
    ...(configError ? { configError } : {}),
    ...(configHash ? { configHash } : {}),
    ...(inputs.ok ? { secretHash: inputs.secretHash, keyIdHash: inputs.keyIdHash } : {}),
    ...(topics ? { topics: topicsCondition(af, topics.state) } : {}),
    ...(strimzi !== undefined ? { topics: strimziCondition(af, strimzi) } : {}),
  });
}

/** Status fields that change on every probe and alone do not justify a write. */
function comparable(status: AlpacaForwarderStatus | undefined): string {
  if (!status) return '';
  const { lastProbeTime: _ignored, ...rest } = status;
  return canonicalJson(rest);
}

/** The status write (a restart always writes: it records restartedAt) and the transition Event. */
function statusActions(
  f: FinishInput,
  status: AlpacaForwarderStatus,
  restart: RestartDecision,
): ReconcileAction[] {
  const previous = f.observed.af.status;
  if (comparable(status) === comparable(previous) && restart.action !== 'restart') return [];
  const event = transitionEvent(previous, status);
  const target = eventTarget(f.observed.af);
  return [{ do: 'writeStatus', status }, ...(event ? [{ do: 'event' as const, target, event }] : [])];
}

/** Ready=False reasons that are routine (asked for, or on their way to Ready): Normal Events. */
const ROUTINE_NOT_READY = new Set(['Suspended', 'RollingOut']);

/** Ready=False reasons before a new pod runs: the Deployment rolling out, its pod not running yet. */
const BEFORE_POD = new Set(['RollingOut', 'NoPod']);

/**
 * A new pod on its way up: from the first status, a rollout or a pod not running yet, to the pod
 * not running yet (NoPod) or not answering yet (ProbeFailed). Every new resource and every
 * rollout passes through these (bench/operator: 2 of the 3 Events per new resource). A pod that
 * never answers is reported by the Deployment's progress deadline (ProgressDeadlineExceeded, a
 * Warning Event: the pod's readiness probe is the same /readyz); one that stops answering after
 * it did, by its transition from Ready or a forwarder reason.
 */
function startingUp(
  before: { reason: string } | undefined,
  after: { status: string; reason: string },
): boolean {
  return (
    after.status === 'False' &&
    (after.reason === 'NoPod' || after.reason === 'ProbeFailed') &&
    (before === undefined || BEFORE_POD.has(before.reason))
  );
}

/** One Event when the summary (Ready status and reason) changes, except on the way up of a new pod. */
function transitionEvent(
  previous: AlpacaForwarderStatus | undefined,
  next: AlpacaForwarderStatus,
): EventInput | undefined {
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const after = next.conditions?.find((c) => c.type === 'Ready');
  if (!after || (before?.status === after.status && before?.reason === after.reason)) return undefined;
  if (startingUp(before, after)) return undefined;
  return {
    type: after.status === 'True' || ROUTINE_NOT_READY.has(after.reason) ? 'Normal' : 'Warning',
    reason: after.status === 'True' ? 'Ready' : after.reason,
    action: 'Reconcile',
    note: after.message || `Ready=${after.status}`,
  };
}

/** The Deployment intent with the new restartedAt, after the status that records it; then its Event. */
function restartActions(f: FinishInput, restart: RestartDecision): ReconcileAction[] {
  if (restart.action !== 'restart' || !f.children.deployment) return [];
  const deployment = stampApplied(
    withRestartedAt(f.children.deployment, restart.restartedAt) as typeof f.children.deployment &
      KubernetesObject,
  );
  return [
    { do: 'restart', deployment, restartedAt: restart.restartedAt, reason: restart.reason },
    {
      do: 'event',
      target: eventTarget(f.observed.af),
      event: {
        type: 'Warning',
        reason: 'RestartTriggered',
        action: 'Restart',
        note: `Restarted the forwarder pod (restart ${restart.restarts.count}, at ${restart.restartedAt}): ${restart.reason}.`,
      },
    },
  ];
}

/**
 * Probe results and watch events bring the next reconcile; only the restart policy's clock needs
 * one (at least every not-ready probe interval while it waits: few resources are ever in this
 * state). The topic ensure's next pass (a retry, or the periodic re-check) needs one too.
 */
function requeueActions(f: FinishInput, restart: RestartDecision): ReconcileAction[] {
  const waits: number[] = [];
  if (restart.action === 'wait' || restart.action === 'stalled') {
    waits.push(Math.min(f.probeIntervalNotReadyMs, Math.max(restart.requeueAfterMs, 1)));
  }
  if (f.observed.topics) waits.push(Math.max(f.observed.topics.nextCheckMs, 1));
  return waits.length > 0 ? [{ do: 'requeue', afterMs: Math.min(...waits) }] : [];
}
