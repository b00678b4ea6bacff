/**
 * Kubernetes reads and waits for the e2e tests: AlpacaForwarder status, its Deployment,
 * ReplicaSets, ConfigMap and Events, awaited through list-then-watch (never by polling sleeps).
 */
import type {
  EventsV1Event,
  KubeConfig,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import type { AlpacaForwarder, Condition, ConditionType } from '../../../operator/api/types.ts';
import { API_VERSION, KIND, PLURAL } from '../../../operator/api/types.ts';
import { LABEL_INSTANCE } from '../../../operator/desired/names.ts';
import { waitFor } from '../../infra/kube/index.ts';

export function condition(af: AlpacaForwarder, type: ConditionType): Condition | undefined {
  return af.status?.conditions?.find((c) => c.type === type);
}

/** One line describing the status, for timeout messages and assertion messages. */
export function describeStatus(af: AlpacaForwarder | undefined): string {
  if (af === undefined) return 'no resource';
  const conds = (af.status?.conditions ?? []).map((c) => `${c.type}=${c.status}(${c.reason})`).join(' ');
  return `${conds} errorClass=${af.status?.errorClass ?? '-'} restarts=${af.status?.restarts?.count ?? '-'}`;
}

/** Waits until the named AlpacaForwarder satisfies `check` (returns what `check` returned). */
export function waitForAf<R>(
  kc: KubeConfig,
  namespace: string,
  name: string,
  check: (af: AlpacaForwarder) => R | undefined,
  opts: { timeoutMs: number; what: string },
): Promise<R> {
  let last: AlpacaForwarder | undefined;
  return waitFor<KubernetesObject, R>(
    kc,
    {
      apiVersion: API_VERSION,
      kind: KIND,
      plural: PLURAL,
      namespace,
      fieldSelector: `metadata.name=${name}`,
    },
    (items) => {
      last = items[0] as unknown as AlpacaForwarder | undefined;
      return last ? check(last) : undefined;
    },
    { timeoutMs: opts.timeoutMs, what: `${namespace}/${name}: ${opts.what}` },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last status: ${describeStatus(last)}`);
  });
}

export const isReady = (af: AlpacaForwarder): AlpacaForwarder | undefined =>
  condition(af, 'Ready')?.status === 'True' ? af : undefined;

export function waitReady(kc: KubeConfig, namespace: string, name: string, timeoutMs: number) {
  return waitForAf(kc, namespace, name, isReady, { timeoutMs, what: 'Ready=True' });
}

/** The Deployment of a resource, once `check` accepts it. */
export function waitForDeployment<R>(
  kc: KubeConfig,
  namespace: string,
  name: string,
  check: (d: V1Deployment) => R | undefined,
  opts: { timeoutMs: number; what: string },
): Promise<R> {
  return waitFor<V1Deployment & { apiVersion?: string }, R>(
    kc,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      plural: 'deployments',
      namespace,
      fieldSelector: `metadata.name=${name}-forwarder`,
    },
    (items) => (items[0] ? check(items[0]) : undefined),
    { timeoutMs: opts.timeoutMs, what: `Deployment ${namespace}/${name}-forwarder: ${opts.what}` },
  );
}

export function waitForConfigMap<R>(
  kc: KubeConfig,
  namespace: string,
  name: string,
  check: (cm: V1ConfigMap) => R | undefined,
  opts: { timeoutMs: number; what: string },
): Promise<R> {
  return waitFor<V1ConfigMap & { apiVersion?: string }, R>(
    kc,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      plural: 'configmaps',
      namespace,
      fieldSelector: `metadata.name=${name}-forwarder`,
    },
    (items) => (items[0] ? check(items[0]) : undefined),
    { timeoutMs: opts.timeoutMs, what: `ConfigMap ${namespace}/${name}-forwarder: ${opts.what}` },
  );
}

/** The ReplicaSets of a resource's Deployment (one per pod template it ever had). */
export function replicaSets(kc: KubeConfig, namespace: string, name: string): Promise<V1ReplicaSet[]> {
  return waitFor<V1ReplicaSet & { apiVersion?: string }, V1ReplicaSet[]>(
    kc,
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      plural: 'replicasets',
      namespace,
      labelSelector: `${LABEL_INSTANCE}=${name}`,
    },
    (items) => [...items],
    { timeoutMs: 30_000, what: `ReplicaSets of ${namespace}/${name}` },
  );
}

/** events.k8s.io Events about one AlpacaForwarder. */
export function eventsFor(kc: KubeConfig, namespace: string, name: string): Promise<EventsV1Event[]> {
  return waitFor<EventsV1Event & { apiVersion?: string }, EventsV1Event[]>(
    kc,
    {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      plural: 'events',
      namespace,
      fieldSelector: `regarding.name=${name}`,
    },
    (items) => items.filter((e) => e.regarding?.kind === KIND),
    { timeoutMs: 30_000, what: `Events of ${namespace}/${name}` },
  );
}
