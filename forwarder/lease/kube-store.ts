/**
 * LeaseStore on coordination.k8s.io/v1 with @kubernetes/client-node: get (404 → undefined),
 * create, and replace with metadata.resourceVersion as precondition. Needs exactly the verbs the
 * operator's forwarder Role grants: get/update on the Lease, create in the namespace.
 */
import { ApiException, CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { leaseBody, leaseRecordFrom } from '../../lib/lease/kube-record.ts';
import { LeaseConflictError, type LeaseStore, LeaseStoreError } from '../../lib/lease/store.ts';

export interface KubeLeaseStoreOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  /** Labels put on the Lease when it is created. */
  labels?: Record<string, string>;
}

/** A stable short code for an API failure; the message names the operation, never a secret. */
function storeError(err: unknown, what: string): Error {
  if (err instanceof ApiException) {
    if (err.code === 409) return new LeaseConflictError(`${what}: conflict (HTTP 409)`);
    return new LeaseStoreError(`http_${err.code}`, `${what}: HTTP ${err.code} from the API server`, {
      cause: err,
    });
  }
  const code = (err as { code?: unknown }).code;
  return new LeaseStoreError(
    'network',
    `${what}: ${typeof code === 'string' ? code : 'request failed'} (${(err as Error).message})`,
    { cause: err },
  );
}

export function createKubeLeaseStore(o: KubeLeaseStoreOptions): LeaseStore {
  const api = o.kubeConfig.makeApiClient(CoordinationV1Api);
  const where = `Lease ${o.namespace}/${o.name}`;
  const metadata = { name: o.name, namespace: o.namespace, ...(o.labels ? { labels: o.labels } : {}) };
  return {
    async get() {
      try {
        return leaseRecordFrom(await api.readNamespacedLease({ name: o.name, namespace: o.namespace }));
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw storeError(err, `get ${where}`);
      }
    },
    async create(spec) {
      try {
        const body = leaseBody(metadata, spec);
        return leaseRecordFrom(await api.createNamespacedLease({ namespace: o.namespace, body }));
      } catch (err) {
        throw storeError(err, `create ${where}`);
      }
    },
    async replace(resourceVersion, spec) {
      try {
        const body = leaseBody(metadata, spec, resourceVersion);
        return leaseRecordFrom(
          await api.replaceNamespacedLease({ name: o.name, namespace: o.namespace, body }),
        );
      } catch (err) {
        throw storeError(err, `update ${where}`);
      }
    },
  };
}
