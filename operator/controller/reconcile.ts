/**
 * One level-based reconcile of one AlpacaForwarder (namespace/name), from the informer caches, in
 * three parts: observe (reconcile-observe.ts: the resource, Secret hashes, rivals for the key id,
 * the topic ensurer's state, the cached children) → plan, purely (reconcile-plan.ts: forget a
 * resource that is gone or being deleted, or build the children once and apply those whose
 * cached copy differs, in waves) → execute (reconcile-execute.ts: the actions in order). Then,
 * with the Deployment the API server returned: tell the probe scheduler what to probe and read
 * its latest result → plan the finish (reconcile-finish.ts: 406 restart decision, status write,
 * Events, restart after the status that records it, requeue) → execute. A probe result that
 * differs from the last one enqueues a reconcile. Every write first checks the abort signal: a
 * process that lost leadership stops at once. Errors stop the run; one about a resource deleted
 * meanwhile (404, or 409 from a precondition) is no failure.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AlpacaForwarder } from '../api/types.ts';
import type { OperatorSettings } from '../desired/settings.ts';
import type { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/events.ts';
import { ALPACA_FORWARDER } from '../kube/resources.ts';
import type { Timers } from '../kube/timers.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { deploymentState } from '../status/deployment-state.ts';
import type { TopicsEnsurer } from '../topics/ensurer.ts';
import { reconcileErrorNote } from './error-note.ts';
import type { SecretInputsMemo } from './inputs.ts';
import { splitKey } from './mapping.ts';
import type { ProbeTarget } from './probe.ts';
import type { LatestProbe } from './probe-scheduler.ts';
import type { HandlerResult } from './queue.ts';
import { type ExecutionContext, type ExecutionState, execute } from './reconcile-execute.ts';
import { forwarderRuns, planFinish, planProbe } from './reconcile-finish.ts';
import { latestProbe, observe, type ReconcileScope, readForwarder } from './reconcile-observe.ts';
import { eventTarget, planChildren, planGone } from './reconcile-plan.ts';

export type KubeOps = Pick<KubeClient, 'get' | 'apply' | 'delete' | 'applyStatus' | 'readSecretKeys'>;

/** What the reconcile reads from the informer caches (synced before the first reconcile). */
export interface ReconcileCache {
  forwarder(namespace: string, name: string): AlpacaForwarder | undefined;
  /** An owned child by kind and name. */
  child(kind: string, namespace: string, name: string): KubernetesObject | undefined;
  /** resourceVersion of a Secret (metadata only is cached). */
  secretVersion(namespace: string, name: string): string | undefined;
}

/** The probe scheduler as the reconcile uses it (probe-scheduler.ts). */
export interface ProbeBoard {
  latest(key: string): LatestProbe | undefined;
  track(key: string, target: ProbeTarget, intervalMs: number): void;
  untrack(key: string): void;
}

export interface ReconcilerDeps {
  client: KubeOps;
  /** Without it every object is read with a GET (no cache to skip applies against). */
  cache?: ReconcileCache;
  secretInputs?: SecretInputsMemo;
  settings: OperatorSettings;
  probes: ProbeBoard;
  recorder: EventRecorder;
  /** Every AlpacaForwarder in the cache (credentials-in-use check). */
  forwarders(): AlpacaForwarder[];
  /** Forwarder pods of one resource, from the cache. */
  podsOf(namespace: string, name: string): V1Pod[];
  timers: Timers;
  probeIntervalReadyMs: number;
  probeIntervalNotReadyMs: number;
  metrics: OperatorMetrics;
  logger: Logger;
  /** Whether the cluster serves PodMonitors (operator/kube/discovery.ts); none rendered when absent. */
  podMonitors?: () => Promise<boolean>;
  /** Whether the cluster serves Strimzi's KafkaTopic and KafkaUser (mode strimzi); none rendered when absent. */
  strimzi?: () => Promise<boolean>;
  /** Mode ensure of spec.kafka.topics (operator/topics/ensurer.ts); without it the mode is not acted on. */
  topics?: TopicsEnsurerLike;
  /** Told after every reconcile, with the resourceVersion of the resource it read (tests, diagnostics). */
  onReconciled?: (e: ReconcileReport) => void;
}

export type TopicsEnsurerLike = Pick<TopicsEnsurer, 'ensure' | 'forget'>;

export interface ReconcileReport {
  key: string;
  /** resourceVersion of the AlpacaForwarder this reconcile acted on; undefined when it was gone. */
  resourceVersion: string | undefined;
  result: 'success' | 'requeue' | 'error';
  restarted: boolean;
  /** performance.now() when the reconcile began and ended. */
  startedAt: number;
  endedAt: number;
}

export function makeReconciler(deps: ReconcilerDeps) {
  return async function reconcile(key: string, signal: AbortSignal): Promise<HandlerResult | undefined> {
    const { namespace, name } = splitKey(key);
    const log = deps.logger.child({ key });
    const started = performance.now();
    let result: ReconcileReport['result'] = 'success';
    const seen: Seen = { resourceVersion: undefined, restarted: false };
    const scope = { key: `${namespace}/${name}`, namespace, name };
    try {
      const out = await reconcileOne(deps, scope, signal, log, seen);
      if (out?.requeueAfterMs !== undefined) result = 'requeue';
      return out;
    } catch (err) {
      // Deleted while this reconcile was in flight (a child apply or the status write got 404, or
      // 409 from a precondition on the object that went away): nothing is wrong; garbage
      // collection removes the children. One info line, no headers.
      if (deletedInFlight(err) && (await resourceGone(deps.client, namespace, name))) {
        log.info({ request: (err as KubeError).request }, 'resource deleted during its reconcile');
        return undefined;
      }
      result = 'error';
      await reportFailure(deps, err, signal, log, seen.af);
      throw err;
    } finally {
      deps.metrics.reconciles.inc({ result });
      deps.metrics.reconcileDuration.observe({ result }, (performance.now() - started) / 1000);
      deps.onReconciled?.({
        key,
        resourceVersion: seen.resourceVersion,
        result,
        restarted: seen.restarted,
        startedAt: started,
        endedAt: performance.now(),
      });
    }
  };
}

interface Seen extends ExecutionState {
  resourceVersion: string | undefined;
  af?: AlpacaForwarder;
}

async function reconcileOne(
  deps: ReconcilerDeps,
  scope: ReconcileScope,
  signal: AbortSignal,
  log: Logger,
  seen: Seen,
): Promise<HandlerResult | undefined> {
  const af = await readForwarder(deps, scope);
  seen.resourceVersion = af?.metadata.resourceVersion;
  if (af) seen.af = af;
  const ctx: ExecutionContext = { ...scope, deps, signal, log };
  if (!af || af.metadata.deletionTimestamp) {
    await execute(ctx, planGone(), seen);
    return undefined;
  }
  // Exported at 0 from the first reconcile, so Prometheus' increase() sees the first restart too.
  deps.metrics.restartsTriggered.inc({ namespace: scope.namespace, name: scope.name }, 0);
  const observed = await observe(deps, scope, af);
  const children = planChildren(observed, deps.settings);
  seen.deployment = children.cachedDeployment;
  await execute(ctx, children.actions, seen);

  const deployment = deploymentState(seen.deployment);
  const runs = forwarderRuns(observed, children, deployment);
  const pods = runs ? deps.podsOf(scope.namespace, scope.name) : [];
  const probeAction = planProbe(observed, pods, deps);
  await execute(ctx, [probeAction], seen);
  const probe = latestProbe(deps, scope.key, probeAction);

  const probeIntervalNotReadyMs = deps.probeIntervalNotReadyMs;
  const finish = planFinish({ observed, children, deployment, runs, probe, probeIntervalNotReadyMs });
  await execute(ctx, finish, seen);
  return seen.requeueAfterMs !== undefined ? { requeueAfterMs: seen.requeueAfterMs } : undefined;
}

/** A failed reconcile: counted, logged in full, and an Event when retrying alone will not fix it. */
async function reportFailure(
  deps: ReconcilerDeps,
  err: unknown,
  signal: AbortSignal,
  log: Logger,
  af: AlpacaForwarder | undefined,
): Promise<void> {
  deps.metrics.reconcileErrors.inc({ kind: err instanceof KubeError ? err.kind : 'internal' });
  const retryable = err instanceof KubeError && err.retryable;
  // The full error goes to the operator log only; the Event below carries a fixed text.
  if (retryable || signal.aborted) log.warn({ err }, 'reconcile failed');
  else log.error({ err }, 'reconcile failed');
  // Errors that retrying alone will not fix are shown on the resource (deduplicated Events).
  if (af && !signal.aborted && !retryable) {
    await deps.recorder.record(eventTarget(af), {
      type: 'Warning',
      reason: 'ReconcileError',
      action: 'Reconcile',
      note: reconcileErrorNote(err),
    });
  }
}

/** The answers a request about an object deleted meanwhile gets: 404, or 409 (precondition). */
function deletedInFlight(err: unknown): boolean {
  return err instanceof KubeError && (err.kind === 'NotFound' || err.kind === 'Conflict');
}

async function resourceGone(client: KubeOps, namespace: string, name: string): Promise<boolean> {
  try {
    const af = await client.get<AlpacaForwarder & KubernetesObject>(ALPACA_FORWARDER, namespace, name);
    return !af || af.metadata.deletionTimestamp !== undefined;
  } catch {
    return false;
  }
}
