/**
 * The operator's leader Lease behind the shared elector's LeaseStore (lib/lease/store.ts), on the
 * operator's own Kubernetes client (its one connection pool): 404 → undefined, 409 → a lost race,
 * anything else a LeaseStoreError with a short stable code.
 */

import type { V1Lease } from '@kubernetes/client-node';
import { leaseBody, leaseRecordFrom } from '../../lib/lease/kube-record.ts';
import { LeaseConflictError, type LeaseStore, LeaseStoreError } from '../../lib/lease/store.ts';
import { KubeError } from './errors.ts';

/** What the store needs from the operator's client. */
export interface LeaseApi {
  getLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  createLease(namespace: string, lease: V1Lease): Promise<V1Lease>;
  replaceLease(namespace: string, lease: V1Lease): Promise<V1Lease>;
}

function storeError(err: unknown): Error {
  if (err instanceof KubeError) {
    if (err.kind === 'Conflict') return new LeaseConflictError(err.message);
    const code = err.status > 0 ? `http_${err.status}` : 'network';
    return new LeaseStoreError(code, err.message, { cause: err });
  }
  return new LeaseStoreError('network', (err as Error).message, { cause: err });
}

export function operatorLeaseStore(api: LeaseApi, namespace: string, name: string): LeaseStore {
  const metadata = { name, namespace };
  const call = async (op: () => Promise<V1Lease>) => {
    try {
      return leaseRecordFrom(await op());
    } catch (err) {
      throw storeError(err);
    }
  };
  return {
    async get() {
      try {
        const lease = await api.getLease(namespace, name);
        return lease === undefined ? undefined : leaseRecordFrom(lease);
      } catch (err) {
        throw storeError(err);
      }
    },
    create: (spec) => call(() => api.createLease(namespace, leaseBody(metadata, spec))),
    replace: (resourceVersion, spec) =>
      call(() => api.replaceLease(namespace, leaseBody(metadata, spec, resourceVersion))),
  };
}
