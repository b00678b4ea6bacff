/**
 * Names, labels and the owner reference shared by every child object. Children carry only our
 * own labels, never the resource's labels or annotations (Argo CD would claim them, design §4.9).
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import { type AlpacaForwarder, API_VERSION, KIND } from '../api/types.ts';

export const MANAGED_BY = 'alpacaforwarder-operator';
export const APP_NAME = 'alpaca-forwarder';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';

export const ANNOTATION_CONFIG_HASH = 'torghut.io/config-hash';
export const ANNOTATION_SECRET_HASH = 'torghut.io/secret-hash';
/**
 * Operator-triggered restart (design §4.2). Our own key, not kubectl.kubernetes.io/restartedAt:
 * `kubectl rollout restart` writes that one as another field manager, and forcing our stored value
 * over it would roll the pod a second time.
 */
export const ANNOTATION_RESTARTED_AT = 'torghut.io/restartedAt';

export type Component = 'forwarder' | 'config' | 'rbac' | 'network';

/** Name of every child object (Deployment, ConfigMap, Service, ...): `<resource>-forwarder`. */
export function childName(af: AlpacaForwarder): string {
  return `${af.metadata.name}-forwarder`;
}

/** Labels selecting the forwarder pod (stable: a Deployment selector is immutable). */
export function selectorLabels(af: AlpacaForwarder): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: af.metadata.name };
}

export function childLabels(af: AlpacaForwarder, component: Component): Record<string, string> {
  return {
    [LABEL_NAME]: APP_NAME,
    [LABEL_INSTANCE]: af.metadata.name,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_COMPONENT]: component,
  };
}

export function ownerReference(af: AlpacaForwarder): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: af.metadata.name,
    uid: af.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metadata of a child: name, namespace, our labels, the controller owner reference. */
export function childMetadata(af: AlpacaForwarder, component: Component, name = childName(af)) {
  return {
    name,
    namespace: af.metadata.namespace,
    labels: childLabels(af, component),
    ownerReferences: [ownerReference(af)],
  };
}
