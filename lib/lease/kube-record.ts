/**
 * The mapping between a client-node V1Lease and the elector's LeaseRecord / LeaseSpec, for the
 * operator's Lease store (its client serialises V1MicroTime). The forwarder does not load
 * client-node: it uses the plain-JSON mapping in lease-object.ts.
 */
import { type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { leaseRecordFromObject } from './lease-object.ts';
import type { LeaseRecord, LeaseSpec } from './store.ts';

export function leaseRecordFrom(lease: V1Lease): LeaseRecord {
  return leaseRecordFromObject(lease);
}

/** The Lease spec to write (client-node serialises V1MicroTime with microseconds). */
export function leaseSpecBody(spec: LeaseSpec): NonNullable<V1Lease['spec']> {
  return {
    // Released = an empty holder, as client-go writes it (readers treat '' and absent alike).
    holderIdentity: spec.holderIdentity ?? '',
    ...(spec.leaseDurationSeconds !== null ? { leaseDurationSeconds: spec.leaseDurationSeconds } : {}),
    ...(spec.acquireTimeMs !== null ? { acquireTime: new V1MicroTime(spec.acquireTimeMs) } : {}),
    ...(spec.renewTimeMs !== null ? { renewTime: new V1MicroTime(spec.renewTimeMs) } : {}),
    leaseTransitions: spec.leaseTransitions,
  };
}

/** The whole Lease object for a create (no resourceVersion) or a replace (with it). */
export function leaseBody(
  metadata: { name: string; namespace: string; labels?: Record<string, string> },
  spec: LeaseSpec,
  resourceVersion?: string,
): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: leaseSpecBody(spec),
  };
}
