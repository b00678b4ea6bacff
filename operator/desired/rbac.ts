/**
 * Role and RoleBinding for the forwarder: only its Lease in coordination.k8s.io (design §4.1).
 * get/update/patch are limited by resourceNames when the Lease name is known; create cannot be
 * (the name is not part of a create request's authorization attributes).
 */
import type { V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import type { DesiredInputs } from './inputs.ts';
import { childMetadata, childName } from './names.ts';

export function buildRole(af: AlpacaForwarder, inputs: Pick<DesiredInputs, 'leaseName'>): V1Role {
  const byName: V1PolicyRule = {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'update', 'patch'],
    ...(inputs.leaseName ? { resourceNames: [inputs.leaseName] } : {}),
  };
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: childMetadata(af, 'rbac'),
    rules: [byName, { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] }],
  };
}

export function buildRoleBinding(af: AlpacaForwarder): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: childMetadata(af, 'rbac'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: childName(af) },
    subjects: [{ kind: 'ServiceAccount', name: childName(af), namespace: af.metadata.namespace }],
  };
}
