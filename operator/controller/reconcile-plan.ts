/**
 * What one reconcile does, decided purely from what it observed (reconcile-observe.ts): an
 * ordered list of actions that reconcile-execute.ts runs one after the other. This module plans
 * the start of a reconcile: forget a resource that is gone or being deleted, or build the
 * children once and apply each whose cached copy differs (apply-needed.ts), in waves.
 * reconcile-finish.ts plans the rest (probe, status, restart, requeue) once the Deployment the
 * API server returned is known.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { type AlpacaForwarder, type AlpacaForwarderStatus, API_VERSION, KIND } from '../api/types.ts';
import { buildChildren, type ChildObject, type DesiredChildren } from '../desired/children.ts';
import { InvalidConfigFileError } from '../desired/config-file.ts';
import { childName } from '../desired/names.ts';
import type { OperatorSettings } from '../desired/settings.ts';
import type { EventInput, EventTarget } from '../kube/events.ts';
import {
  type CredentialHolder,
  type CredentialsDecision,
  decideCredentialsInUse,
} from '../policy/credentials.ts';
import { applyNeeded, stampApplied } from './apply-needed.ts';
import type { ProbeTarget } from './probe.ts';
import type { Observed } from './reconcile-observe.ts';

/** One step of a reconcile, run in list order; each write checks the abort signal first. */
export type ReconcileAction =
  /** Resource gone or being deleted: drop what is remembered for it (GC removes the children). */
  | { do: 'forget' }
  /** A child whose cached copy already matches the intent: counted, not written. */
  | { do: 'skip'; kind: string; cached: KubernetesObject }
  /** One wave of children, applied at once (server-side apply, forced). */
  | { do: 'apply'; objects: Array<ChildObject & KubernetesObject> }
  | { do: 'delete'; kind: 'NetworkPolicy'; name: string }
  /** No children to apply (invalid config) and no cache: GET the Deployment the status reports on. */
  | { do: 'readDeployment'; name: string }
  | { do: 'track'; target: ProbeTarget; intervalMs: number }
  | { do: 'untrack' }
  | { do: 'writeStatus'; status: AlpacaForwarderStatus }
  /** Re-apply the Deployment with a new restartedAt (the 406 policy); status already records it. */
  | { do: 'restart'; deployment: V1Deployment & KubernetesObject; restartedAt: string; reason: string }
  | { do: 'event'; target: EventTarget; event: EventInput }
  | { do: 'requeue'; afterMs: number };

/** The children part of a reconcile, and what the finish plan needs from it. */
export interface ChildrenPlan {
  actions: ReconcileAction[];
  credentials: CredentialsDecision;
  /** The spec renders an invalid config file: nothing is applied, the status says why. */
  configError?: string;
  /** Hash of the rolling config (status.configHash); absent with a config error. */
  configHash?: string;
  /** The Deployment intent (unstamped), the base of a restart; absent with a config error. */
  deployment?: V1Deployment;
  /** The cached Deployment when no action applies or reads one (invalid config, with caches). */
  cachedDeployment?: V1Deployment;
}

/** A resource that is gone, or has a deletionTimestamp: forget it, write nothing. */
export function planGone(): ReconcileAction[] {
  return [{ do: 'untrack' }, { do: 'forget' }];
}

export function planChildren(o: Observed, settings: OperatorSettings): ChildrenPlan {
  const credentials = credentialsOf(o);
  const built = desiredChildren(o, settings, credentials);
  if ('configError' in built) {
    const name = childName(o.af);
    return o.cachedChild
      ? {
          actions: [],
          credentials,
          configError: built.configError,
          cachedDeployment: o.cachedChild('Deployment', name) as V1Deployment | undefined,
        }
      : { actions: [{ do: 'readDeployment', name }], credentials, configError: built.configError };
  }
  const children = built.children;
  return {
    actions: [...applyActions(o, children.apply), ...deleteActions(o, children.absent)],
    credentials,
    configHash: children.configHash,
    deployment: children.apply.find((c): c is V1Deployment => c.kind === 'Deployment'),
  };
}

/** What the resource's Events are about. */
export function eventTarget(af: AlpacaForwarder): EventTarget {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    namespace: af.metadata.namespace,
    name: af.metadata.name,
    uid: af.metadata.uid,
  };
}

function credentialsOf(o: Observed): CredentialsDecision {
  if (o.af.spec.suspend) return { inUse: false };
  const keyIdHash = o.inputs.ok ? o.inputs.keyIdHash : undefined;
  const others = o.rivals.map((r) => holder(r, r.status?.keyIdHash));
  return decideCredentialsInUse(holder(o.af, keyIdHash), others);
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

/** The children from the pure builders (the only buildChildren of a reconcile), or the config error. */
function desiredChildren(
  o: Observed,
  settings: OperatorSettings,
  credentials: CredentialsDecision,
): { children: DesiredChildren } | { configError: string } {
  const { af, inputs } = o;
  const previous = af.status;
  try {
    const children = buildChildren(af, settings, {
      secretHash: inputs.ok ? inputs.secretHash : (previous?.secretHash ?? 'unresolved'),
      restartedAt: previous?.restarts?.restartedAt,
      hold: credentials.inUse,
      // Scopes the forwarder Role's get/update/patch to its own Lease once the key id is known.
      ...(inputs.ok ? { leaseName: inputs.leaseName } : {}),
      podMonitor: o.podMonitor,
      ...(o.strimzi ? { strimzi: o.strimzi } : {}),
    });
    return { children };
  } catch (err) {
    if (!(err instanceof InvalidConfigFileError)) throw err;
    return { configError: err.message };
  }
}

/** Per wave: a skip for each child the cache already has as intended, then one apply of the rest. */
function applyActions(o: Observed, objects: readonly ChildObject[]): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  for (const wave of applyWaves(objects)) {
    const changed: Array<ChildObject & KubernetesObject> = [];
    for (const obj of wave) {
      const intent = stampApplied(obj as ChildObject & KubernetesObject);
      const cached = o.cachedChild?.(intent.kind ?? '', intent.metadata?.name ?? '');
      if (cached && !applyNeeded(intent, cached)) {
        actions.push({ do: 'skip', kind: intent.kind ?? '', cached });
      } else changed.push(intent);
    }
    if (changed.length > 0) actions.push({ do: 'apply', objects: changed });
  }
  return actions;
}

/** Kinds the resource must not have: deleted when the cache has one (always tried without a cache). */
function deleteActions(o: Observed, absent: DesiredChildren['absent']): ReconcileAction[] {
  const name = childName(o.af);
  return absent
    .filter((kind) => kind === 'NetworkPolicy' && (!o.cachedChild || o.cachedChild(kind, name)))
    .map((kind): ReconcileAction => ({ do: 'delete', kind, name }));
}

/**
 * The children in apply order: [the rest, RoleBindings, Deployments]; empty waves dropped. The
 * rest is everything the pod needs (identity, Role, config, Service, NetworkPolicy); the
 * RoleBinding comes after its Role (the API server's escalation check reads the Role it binds: a
 * binding applied beside its new Role can be refused with 404); the Deployment last, so its pod
 * never starts without the rest.
 */
export function applyWaves<T extends { kind?: string }>(objects: readonly T[]): T[][] {
  const late = ['RoleBinding', 'Deployment'];
  const waves = [
    objects.filter((o) => !late.includes(o.kind ?? '')),
    ...late.map((kind) => objects.filter((o) => o.kind === kind)),
  ];
  return waves.filter((w) => w.length > 0);
}
