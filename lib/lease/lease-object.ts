/**
 * The mapping between a coordination.k8s.io/v1 Lease as plain JSON (what the API server sends
 * and accepts) and the elector's LeaseRecord / LeaseSpec, without @kubernetes/client-node: the
 * forwarder's Lease store writes these bodies itself. Times go out as MicroTime text with six
 * fractional digits (the API server answers 400 to milliseconds).
 */
import { formatMicroTime, parseMicroTime } from './micro-time.ts';
import type { LeaseRecord, LeaseSpec } from './store.ts';

export interface LeaseMetadata {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
}

/** The fields of a Lease object read or written here (times: MicroTime text, or a Date from client-node). */
export interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string | Date;
    renewTime?: string | Date;
    leaseTransitions?: number;
  };
}

export function leaseRecordFromObject(lease: LeaseObject): LeaseRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ? s.holderIdentity : null,
    leaseDurationSeconds: s.leaseDurationSeconds ?? null,
    acquireTimeMs: parseMicroTime(s.acquireTime),
    renewTimeMs: parseMicroTime(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

/** The whole Lease JSON for a create (no resourceVersion) or a replace (with it). */
export function leaseObjectBody(
  metadata: { name: string; namespace: string; labels?: Record<string, string> },
  spec: LeaseSpec,
  resourceVersion?: string,
): LeaseObject & { metadata: LeaseMetadata } {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      // Released = an empty holder, as client-go writes it (readers treat '' and absent alike).
      holderIdentity: spec.holderIdentity ?? '',
      ...(spec.leaseDurationSeconds !== null ? { leaseDurationSeconds: spec.leaseDurationSeconds } : {}),
      ...(spec.acquireTimeMs !== null ? { acquireTime: formatMicroTime(spec.acquireTimeMs) } : {}),
      ...(spec.renewTimeMs !== null ? { renewTime: formatMicroTime(spec.renewTimeMs) } : {}),
      leaseTransitions: spec.leaseTransitions,
    },
  };
}
