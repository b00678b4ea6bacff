/** The API resources the operator touches, and their REST paths. */

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** Collection path, e.g. /apis/apps/v1/namespaces/ns/deployments or /api/v1/configmaps (all namespaces). */
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${rt.plural}` : `${base}/${rt.plural}`;
}

const core = (kind: string, plural: string): ResourceType => ({
  group: '',
  version: 'v1',
  kind,
  plural,
  namespaced: true,
});

export const ALPACA_FORWARDER: ResourceType = {
  group: 'torghut.io',
  version: 'v1alpha1',
  kind: 'AlpacaForwarder',
  plural: 'alpacaforwarders',
  namespaced: true,
};

export const CONFIG_MAP = core('ConfigMap', 'configmaps');
export const SERVICE = core('Service', 'services');
export const SERVICE_ACCOUNT = core('ServiceAccount', 'serviceaccounts');
export const SECRET = core('Secret', 'secrets');
export const POD = core('Pod', 'pods');
export const DEPLOYMENT: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
};
export const NETWORK_POLICY: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  namespaced: true,
};
export const ROLE: ResourceType = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
};
export const ROLE_BINDING: ResourceType = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
};

/** Optional (Strimzi, spec.kafka.topics.mode strimzi): rendered only when the cluster serves them; not watched. */
export const KAFKA_TOPIC: ResourceType = {
  group: 'kafka.strimzi.io',
  version: 'v1beta2',
  kind: 'KafkaTopic',
  plural: 'kafkatopics',
  namespaced: true,
};
export const KAFKA_USER: ResourceType = {
  group: 'kafka.strimzi.io',
  version: 'v1beta2',
  kind: 'KafkaUser',
  plural: 'kafkausers',
  namespaced: true,
};

/** Optional (Prometheus Operator): rendered only when the cluster serves it; not watched. */
export const POD_MONITOR: ResourceType = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  kind: 'PodMonitor',
  plural: 'podmonitors',
  namespaced: true,
};

/** Objects the operator creates for each AlpacaForwarder (found by the managed-by label). */
export const OWNED_TYPES: readonly ResourceType[] = [
  CONFIG_MAP,
  DEPLOYMENT,
  SERVICE,
  NETWORK_POLICY,
  SERVICE_ACCOUNT,
  ROLE,
  ROLE_BINDING,
];

/** Field managers of the operator's server-side applies (defined with the API types). */
export { FIELD_MANAGER, STATUS_FIELD_MANAGER } from '../api/types.ts';

/** Object path, e.g. /apis/apps/v1/namespaces/ns/deployments/name. */
export function objectPath(rt: ResourceType, namespace: string, name: string): string {
  return `${collectionPath(rt, rt.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
}

/** Every type the operator reads or writes, by `apiVersion/kind` (server-side apply finds its path here). */
const KNOWN_TYPES = new Map(
  [ALPACA_FORWARDER, ...OWNED_TYPES, SECRET, POD, KAFKA_TOPIC, KAFKA_USER, POD_MONITOR].map((rt) => [
    `${apiVersionOf(rt)}/${rt.kind}`,
    rt,
  ]),
);

/** The ResourceType of an object's apiVersion and kind; undefined for a type the operator does not know. */
export function resourceTypeFor(
  apiVersion: string | undefined,
  kind: string | undefined,
): ResourceType | undefined {
  return KNOWN_TYPES.get(`${apiVersion}/${kind}`);
}
