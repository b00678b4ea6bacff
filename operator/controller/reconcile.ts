/**
 * One level-based reconcile of one AlpacaForwarder (namespace/name), from the informer caches:
 * read it from the cache (gone or deleted → nothing; ownerReferences + GC clean up) → resolve
 * Secret hashes (read again only when a referenced Secret's resourceVersion changed) →
 * credentials-in-use check → build the children with the pure builders → server-side apply each
 * one whose cached copy differs (apply-needed.ts; all at once, the Deployment last) → take the latest /readyz result from the probe
 * scheduler (and tell it what to probe) → decide a restart → compute status → write status (only
 * when it changed) → restart (Deployment re-applied with the new restartedAt, which status
 * already records, so a crash in between never repeats or loses a restart) → requeue only while
 * the restart policy waits. A probe result that differs from the last one enqueues a reconcile.
 * Every write first checks the abort signal: a process that lost leadership stops at once.
 */
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AlpacaForwarder, AlpacaForwarderStatus } from '../api/types.ts';
import { API_VERSION, KIND } from '../api/types.ts';
import { buildChildren, type ChildObject } from '../desired/children.ts';
import { InvalidConfigFileError } from '../desired/config-file.ts';
import { canonicalJson } from '../desired/hash.ts';
import { childName } from '../desired/names.ts';
import type { OperatorSettings } from '../desired/settings.ts';
import type { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import type { EventRecorder, EventTarget } from '../kube/events.ts';
import { ALPACA_FORWARDER, DEPLOYMENT, NETWORK_POLICY } from '../kube/resources.ts';
import type { Timers } from '../kube/timers.ts';
import type { OperatorMetrics } from '../metrics.ts';
import {
  type CredentialHolder,
  type CredentialsDecision,
  decideCredentialsInUse,
} from '../policy/credentials.ts';
import { decideRestart, type RestartDecision } from '../policy/restart.ts';
import { computeStatus, type SecretProblem } from '../status/compute.ts';
import { deploymentState } from '../status/deployment-state.ts';
import type { ProbeResult } from '../status/probe.ts';
import { strimziCondition, topicsCondition } from '../status/topics-condition.ts';
import type { TopicsEnsurer } from '../topics/ensurer.ts';
import { applyNeeded, stampApplied } from './apply-needed.ts';
import { reconcileErrorNote } from './error-note.ts';
import { resolveSecretInputs, type SecretInputsMemo } from './inputs.ts';
import { splitKey } from './mapping.ts';
import type { ProbeOutcome, ProbeTarget } from './probe.ts';
import type { LatestProbe } from './probe-scheduler.ts';
import type { HandlerResult } from './queue.ts';

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

/** Status fields that change on every probe and alone do not justify a write. */
function comparable(status: AlpacaForwarderStatus | undefined): string {
  if (!status) return '';
  const { lastProbeTime: _ignored, ...rest } = status;
  return canonicalJson(rest);
}

function toProbeResult(o: ProbeOutcome): ProbeResult {
  return o.kind === 'reported'
    ? { kind: 'body', httpStatus: o.httpStatus, body: o.body }
    : { kind: 'failed', error: `${o.reason}: ${o.detail}` };
}

/** A pod worth asking: scheduled and running, not being deleted. */
function probeablePod(pods: readonly V1Pod[]): V1Pod | undefined {
  return pods
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running')
    .sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
    )[0];
}

function holder(af: AlpacaForwarder, keyIdHash: string | undefined): CredentialHolder {
  return {
    namespace: af.metadata.namespace,
    name: af.metadata.name,
    uid: af.metadata.uid,
    creationTimestamp: af.metadata.creationTimestamp ? String(af.metadata.creationTimestamp) : undefined,
    keyIdHash,
    suspended: af.spec?.suspend === true,
    deleting: af.metadata.deletionTimestamp !== undefined,
  };
}

export function eventTarget(af: AlpacaForwarder): EventTarget {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    namespace: af.metadata.namespace,
    name: af.metadata.name,
    uid: af.metadata.uid,
  };
}

export function makeReconciler(deps: ReconcilerDeps) {
  return async function reconcile(key: string, signal: AbortSignal): Promise<HandlerResult | undefined> {
    const { namespace, name } = splitKey(key);
    const log = deps.logger.child({ key });
    const started = performance.now();
    let result: ReconcileReport['result'] = 'success';
    const seen: Seen = { resourceVersion: undefined, restarted: false };
    try {
      const out = await reconcileOne(deps, namespace, name, signal, log, seen);
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
      deps.metrics.reconcileErrors.inc({ kind: err instanceof KubeError ? err.kind : 'internal' });
      const retryable = err instanceof KubeError && err.retryable;
      // The full error goes to the operator log only; the Event below carries a fixed text.
      if (retryable || signal.aborted) log.warn({ err }, 'reconcile failed');
      else log.error({ err }, 'reconcile failed');
      // Errors that retrying alone will not fix are shown on the resource (deduplicated Events).
      if (seen.af && !signal.aborted && !retryable) {
        await deps.recorder.record(eventTarget(seen.af), {
          type: 'Warning',
          reason: 'ReconcileError',
          action: 'Reconcile',
          note: reconcileErrorNote(err),
        });
      }
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

interface Seen {
  resourceVersion: string | undefined;
  restarted: boolean;
  af?: AlpacaForwarder;
}

async function reconcileOne(
  deps: ReconcilerDeps,
  namespace: string,
  name: string,
  signal: AbortSignal,
  log: Logger,
  seen: Seen,
): Promise<HandlerResult | undefined> {
  const { client, cache } = deps;
  const key = `${namespace}/${name}`;
  const af = cache
    ? cache.forwarder(namespace, name)
    : await client.get<AlpacaForwarder & KubernetesObject>(ALPACA_FORWARDER, namespace, name);
  seen.resourceVersion = af?.metadata.resourceVersion;
  if (af) seen.af = af;
  if (!af || af.metadata.deletionTimestamp) {
    deps.probes.untrack(key);
    deps.secretInputs?.forget(key);
    deps.topics?.forget(key);
    log.debug('resource gone or being deleted; garbage collection removes the children');
    return undefined;
  }
  const now = new Date(deps.timers.now());
  const previous = af.status;
  // Exported at 0 from the first reconcile, so Prometheus' increase() sees the first restart too.
  deps.metrics.restartsTriggered.inc({ namespace, name }, 0);

  // Inputs from Secrets: hashes only.
  const readSecret = (ns: string, n: string, keys: readonly string[]) => client.readSecretKeys(ns, n, keys);
  const inputs =
    cache && deps.secretInputs
      ? await deps.secretInputs.resolve(
          key,
          namespace,
          af.spec,
          (ns, n) => cache.secretVersion(ns, n),
          readSecret,
          name,
        )
      : await resolveSecretInputs(namespace, af.spec, readSecret, name);
  const secretProblem: SecretProblem | undefined = inputs.ok ? undefined : inputs.missing[0];
  const keyIdHash = inputs.ok ? inputs.keyIdHash : undefined;

  // One stream per Alpaca account. Only resources with the same key id can be rivals: filter
  // before building holders (1,000 resources: holders for all of them on every reconcile was
  // the largest CPU cost of the first pass in bench/operator's profile).
  const others =
    keyIdHash === undefined
      ? []
      : deps
          .forwarders()
          .filter((o) => o.metadata.uid !== af.metadata.uid && o.status?.keyIdHash === keyIdHash)
          .map((o) => holder(o, o.status?.keyIdHash));
  const credentials: CredentialsDecision = af.spec.suspend
    ? { inUse: false }
    : decideCredentialsInUse(holder(af, keyIdHash), others);

  // Topics (mode ensure): created through the Kafka Admin API; mismatches reported, never changed.
  const topics =
    af.spec.kafka.topics.mode === 'ensure' && deps.topics ? await deps.topics.ensure(key, af) : undefined;
  if (af.spec.kafka.topics.mode !== 'ensure') deps.topics?.forget(key);

  // Desired children.
  const restartedAt = previous?.restarts?.restartedAt;
  const secretHash = inputs.ok ? inputs.secretHash : (previous?.secretHash ?? 'unresolved');
  let configError: string | undefined;
  let children: ReturnType<typeof buildChildren> | undefined;
  const podMonitor = (await deps.podMonitors?.()) ?? false;
  const strimzi = af.spec.kafka.topics.mode === 'strimzi' ? ((await deps.strimzi?.()) ?? false) : undefined;
  try {
    children = buildChildren(af, deps.settings, {
      secretHash,
      restartedAt,
      hold: credentials.inUse,
      // Scopes the forwarder Role's get/update/patch to its own Lease once the key id is known.
      ...(inputs.ok ? { leaseName: inputs.leaseName } : {}),
      podMonitor,
      ...(strimzi ? { strimzi } : {}),
    });
  } catch (err) {
    if (!(err instanceof InvalidConfigFileError)) throw err;
    configError = err.message;
  }

  let deployment: V1Deployment | undefined;
  const cachedChild = (kind: string, n: string) => cache?.child(kind, namespace, n);
  if (children) {
    const applyChild = async (obj: ChildObject): Promise<void> => {
      const intent = stampApplied(obj as ChildObject & KubernetesObject);
      const cached = cachedChild(intent.kind ?? '', intent.metadata?.name ?? '');
      if (cache && !applyNeeded(intent, cached)) {
        deps.metrics.childApplies.inc({ kind: intent.kind ?? '', result: 'unchanged' });
        if (intent.kind === 'Deployment') deployment = cached as V1Deployment;
        return;
      }
      signal.throwIfAborted();
      const applied = await client.apply<ChildObject & KubernetesObject>(intent);
      deps.metrics.childApplies.inc({ kind: intent.kind ?? '', result: 'applied' });
      if (applied.kind === 'Deployment' || obj.kind === 'Deployment') deployment = applied as V1Deployment;
    };
    // In waves, each wave's applies at once: everything the pod needs (identity, Role, config,
    // Service, NetworkPolicy); then the RoleBinding (the API server's escalation check reads the
    // Role it binds: a binding applied beside its new Role can be refused with 404); then the
    // Deployment, so its pod never starts without the rest.
    for (const wave of applyWaves(children.apply)) await Promise.all(wave.map(applyChild));
    for (const kind of children.absent) {
      if (kind === 'NetworkPolicy' && (!cache || cachedChild(kind, childName(af)))) {
        signal.throwIfAborted();
        await client.delete(NETWORK_POLICY, namespace, childName(af));
      }
    }
  } else {
    deployment = cache
      ? (cachedChild('Deployment', childName(af)) as V1Deployment | undefined)
      : await client.get<V1Deployment & KubernetesObject>(DEPLOYMENT, namespace, childName(af));
  }
  const depState = deploymentState(deployment);

  // Readiness of the forwarder: the probe scheduler's latest result for the running pod.
  let probe: ProbeResult = { kind: 'skipped' };
  const runs = !af.spec.suspend && !credentials.inUse && !configError && depState.desiredReplicas > 0;
  const pod = runs ? probeablePod(deps.podsOf(namespace, name)) : undefined;
  if (pod) {
    const wasReady = previous?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    deps.probes.track(
      key,
      { namespace, name, serviceName: childName(af), podIP: pod.status?.podIP },
      wasReady ? deps.probeIntervalReadyMs : deps.probeIntervalNotReadyMs,
    );
    const latest = deps.probes.latest(key);
    if (latest) probe = toProbeResult(latest.outcome);
  } else {
    deps.probes.untrack(key);
  }

  // 406 restart policy.
  const errorClass =
    probe.kind === 'body' && !probe.body.ready ? (probe.body.error_class ?? undefined) : undefined;
  const restart: RestartDecision = runs
    ? decideRestart({
        policy: af.spec.restartPolicy.on406,
        errorClass,
        errorSince: previous?.errorClass === errorClass ? previous?.errorSince : undefined,
        restarts: previous?.restarts,
        rolloutInProgress: depState.rolloutInProgress,
        now,
      })
    : { action: 'none' };

  const status = computeStatus({
    af,
    now,
    probe,
    deployment: depState,
    credentials,
    restart,
    ...(secretProblem ? { secretProblem } : {}),
    ...(configError ? { configError } : {}),
    ...(children ? { configHash: children.configHash } : {}),
    ...(inputs.ok ? { secretHash: inputs.secretHash, keyIdHash: inputs.keyIdHash } : {}),
    ...(topics ? { topics: topicsCondition(af, topics.state) } : {}),
    ...(strimzi !== undefined ? { topics: strimziCondition(af, strimzi) } : {}),
  });

  // Status first: it records restartedAt before the Deployment carries it (see the module comment).
  if (comparable(status) !== comparable(previous) || restart.action === 'restart') {
    signal.throwIfAborted();
    await client.applyStatus(ALPACA_FORWARDER, namespace, name, status);
    log.info(
      { ready: status.conditions?.find((c) => c.type === 'Ready')?.reason, errorClass: status.errorClass },
      'status updated',
    );
    await recordTransition(deps, af, previous, status);
  }

  if (restart.action === 'restart') {
    const again = buildChildren(af, deps.settings, {
      secretHash,
      restartedAt: restart.restartedAt,
      hold: false,
    });
    const dep = again.apply.find((o) => o.kind === 'Deployment');
    if (dep) {
      signal.throwIfAborted();
      await client.apply(stampApplied(dep as V1Deployment & KubernetesObject));
      deps.metrics.restartsTriggered.inc({ namespace, name });
      seen.restarted = true;
      log.warn(
        { restartedAt: restart.restartedAt, reason: restart.reason },
        'forwarder pod restarted by the 406 policy',
      );
      await deps.recorder.record(eventTarget(af), {
        type: 'Warning',
        reason: 'RestartTriggered',
        action: 'Restart',
        note: `Restarted the forwarder pod (restart ${restart.restarts.count}, at ${restart.restartedAt}): ${restart.reason}.`,
      });
    }
  }

  // Probe results and watch events bring the next reconcile; only the restart policy's clock needs
  // one (at least every not-ready probe interval while it waits: few resources are ever in this state).
  // The topic ensure's next pass (a retry, or the periodic re-check) needs one too.
  const waits: number[] = [];
  if (restart.action === 'wait' || restart.action === 'stalled') {
    waits.push(Math.min(deps.probeIntervalNotReadyMs, Math.max(restart.requeueAfterMs, 1)));
  }
  if (topics) waits.push(Math.max(topics.nextCheckMs, 1));
  return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
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

/** Ready=False reasons that are routine (asked for, or on their way to Ready): Normal Events. */
const ROUTINE_NOT_READY = new Set(['Suspended', 'RollingOut']);

/** One Event when the summary (Ready status and reason) changes. */
async function recordTransition(
  deps: ReconcilerDeps,
  af: AlpacaForwarder,
  previous: AlpacaForwarderStatus | undefined,
  next: AlpacaForwarderStatus,
): Promise<void> {
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const after = next.conditions?.find((c) => c.type === 'Ready');
  if (!after || (before?.status === after.status && before?.reason === after.reason)) return;
  await deps.recorder.record(eventTarget(af), {
    type: after.status === 'True' || ROUTINE_NOT_READY.has(after.reason) ? 'Normal' : 'Warning',
    reason: after.status === 'True' ? 'Ready' : after.reason,
    action: 'Reconcile',
    note: after.message || `Ready=${after.status}`,
  });
}

/** The children in apply order: [the rest, RoleBindings, Deployments]; empty waves dropped. */
export function applyWaves<T extends { kind?: string }>(objects: readonly T[]): T[][] {
  const late = ['RoleBinding', 'Deployment'];
  const waves = [
    objects.filter((o) => !late.includes(o.kind ?? '')),
    ...late.map((kind) => objects.filter((o) => o.kind === kind)),
  ];
  return waves.filter((w) => w.length > 0);
}
