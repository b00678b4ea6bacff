/**
 * The operator's leader Lease behind the shared elector's LeaseStore (lib/lease/store.ts), on the
 * operator's own Kubernetes client (its one HTTP/2 connection): 404 → undefined, 409 → a lost race,
 * anything else a LeaseStoreError with a short stable code. The bodies are the plain-JSON Lease
 * mapping the forwarder also uses (MicroTime with six fractional digits, as client-go writes it).
 */

import { type LeaseObject, leaseObjectBody, leaseRecordFromObject } from '../../lib/lease/lease-object.ts';
import { LeaseConflictError, type LeaseStore, LeaseStoreError } from '../../lib/lease/store.ts';
import { KubeError } from './errors.ts';

/** What the store needs from the operator's client. */
export interface LeaseApi {
  getLease(namespace: string, name: string): Promise<LeaseObject | undefined>;
  createLease(namespace: string, lease: LeaseObject): Promise<LeaseObject>;
  replaceLease(namespace: string, lease: LeaseObject): Promise<LeaseObject>;
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
  const call = async (op: () => Promise<LeaseObject>) => {
    try {
      return leaseRecordFromObject(await op());
    } catch (err) {
      throw storeError(err);
    }
  };
  return {
    async get() {
      try {
        const lease = await api.getLease(namespace, name);
        return lease === undefined ? undefined : leaseRecordFromObject(lease);
      } catch (err) {
        throw storeError(err);
      }
    },
    create: (spec) => call(() => api.createLease(namespace, leaseObjectBody(metadata, spec))),
    replace: (resourceVersion, spec) =>
      call(() => api.replaceLease(namespace, leaseObjectBody(metadata, spec, resourceVersion))),
  };
}
