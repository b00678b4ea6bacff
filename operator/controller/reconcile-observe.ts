/**
 * The reads of one reconcile, gathered into plain inputs for the pure plans (reconcile-plan.ts,
 * reconcile-finish.ts): the resource (from the cache, or a GET without one), the hashes of its
 * Secret inputs (Secrets read again only when a referenced one's resourceVersion changed), the
 * resources with the same key id, the topic ensurer's state (mode ensure: the ensurer creates
 * missing topics through the Kafka Admin API itself and reports back), which optional APIs the
 * cluster serves, and the informer's copies of the children. After the children are applied,
 * the probe scheduler's latest result for the running pod.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { ALPACA_FORWARDER } from '../kube/resources.ts';
import type { ProbeResult } from '../status/probe.ts';
import type { TopicsResult } from '../topics/ensurer.ts';
import { type ResolvedInputs, resolveSecretInputs } from './inputs.ts';
import type { ProbeOutcome } from './probe.ts';
import type { ReconcilerDeps } from './reconcile.ts';
import type { ReconcileAction } from './reconcile-plan.ts';

/** Where one reconcile acts. */
export interface ReconcileScope {
  key: string;
  namespace: string;
  name: string;
}

/** Everything the children plan reads; plain data plus a lookup into the informer's snapshot. */
export interface Observed extends ReconcileScope {
  af: AlpacaForwarder;
  now: Date;
  inputs: ResolvedInputs;
  /** Other resources whose status records the same key id hash (the one-stream-per-account check). */
  rivals: AlpacaForwarder[];
  /** Mode ensure: the topic ensurer's state; undefined otherwise. */
  topics: TopicsResult | undefined;
  /** The cluster serves PodMonitors. */
  podMonitor: boolean;
  /** Mode strimzi: whether the cluster serves KafkaTopic and KafkaUser; undefined in other modes. */
  strimzi: boolean | undefined;
  /** The informer's copy of a child by kind and name; undefined without caches (every child is applied). */
  cachedChild: ((kind: string, name: string) => KubernetesObject | undefined) | undefined;
}

/** The resource as the cache (or, without one, the API server) has it; undefined when gone. */
export async function readForwarder(
  deps: ReconcilerDeps,
  scope: ReconcileScope,
): Promise<AlpacaForwarder | undefined> {
  const { namespace, name } = scope;
  return deps.cache
    ? deps.cache.forwarder(namespace, name)
    : await deps.client.get<AlpacaForwarder & KubernetesObject>(ALPACA_FORWARDER, namespace, name);
}

/** The reads the children plan needs, in the order the reconcile has always made them. */
export async function observe(
  deps: ReconcilerDeps,
  scope: ReconcileScope,
  af: AlpacaForwarder,
): Promise<Observed> {
  const { cache } = deps;
  const now = new Date(deps.timers.now());
  const inputs = await secretInputs(deps, scope, af);
  // One stream per Alpaca account. Only resources with the same key id can be rivals: filter
  // before building holders (1,000 resources: holders for all of them on every reconcile was
  // the largest CPU cost of the first pass in bench/operator's profile).
  const keyIdHash = inputs.ok ? inputs.keyIdHash : undefined;
  const rivals =
    keyIdHash === undefined
      ? []
      : deps
          .forwarders()
          .filter((o) => o.metadata.uid !== af.metadata.uid && o.status?.keyIdHash === keyIdHash);
  const mode = af.spec.kafka.topics.mode;
  const topics = mode === 'ensure' && deps.topics ? await deps.topics.ensure(scope.key, af) : undefined;
  if (mode !== 'ensure') deps.topics?.forget(scope.key);
  const podMonitor = (await deps.podMonitors?.()) ?? false;
  const strimzi = mode === 'strimzi' ? ((await deps.strimzi?.()) ?? false) : undefined;
  const cachedChild = cache ? (kind: string, n: string) => cache.child(kind, scope.namespace, n) : undefined;
  return { ...scope, af, now, inputs, rivals, topics, podMonitor, strimzi, cachedChild };
}

/** Hashes of the referenced Secret values (inputs.ts); memoised against Secret resourceVersions with a cache. */
function secretInputs(
  deps: ReconcilerDeps,
  scope: ReconcileScope,
  af: AlpacaForwarder,
): Promise<ResolvedInputs> {
  const { client, cache } = deps;
  const { key, namespace, name } = scope;
  const read = (ns: string, n: string, keys: readonly string[]) => client.readSecretKeys(ns, n, keys);
  return cache && deps.secretInputs
    ? deps.secretInputs.resolve(key, namespace, af.spec, (ns, n) => cache.secretVersion(ns, n), read, name)
    : resolveSecretInputs(namespace, af.spec, read, name);
}

/**
 * The probe scheduler's latest result for key, read after the reconcile said what to probe (a new
 * target forgets the old result); skipped when nothing is probed.
 */
export function latestProbe(
  deps: Pick<ReconcilerDeps, 'probes'>,
  key: string,
  probing: ReconcileAction,
): ProbeResult {
  if (probing.do !== 'track') return { kind: 'skipped' };
  const latest = deps.probes.latest(key);
  return latest ? toProbeResult(latest.outcome) : { kind: 'skipped' };
}

/**
 * What the status says about a probe outcome. A timeout and a connection error read alike: which
 * of the two a pod that does not answer gives is timing (probeSignature in probe-scheduler.ts), and
 * a message naming one would rewrite the status whenever a reconcile for another cause met the
 * other (bench/operator, 1,000 such pods: 0.3 status writes/s in steady state).
 */
export function toProbeResult(o: ProbeOutcome): ProbeResult {
  if (o.kind === 'reported') return { kind: 'body', httpStatus: o.httpStatus, body: o.body };
  if (o.reason === 'timeout' || o.reason === 'unreachable')
    return { kind: 'failed', error: 'no answer (the request timed out or the connection failed)' };
  return { kind: 'failed', error: `${o.reason}: ${o.detail}` };
}
