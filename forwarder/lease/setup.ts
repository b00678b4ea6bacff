/**
 * Builds the connection Lease from the forwarder config: disabled (no Kubernetes access at all)
 * when lease.enabled is false; otherwise a LeaseElector on the Kubernetes Lease named after the
 * key id, with client-go timings scaled to lease.durationSeconds, reaching the API server through
 * KubeConfig.loadFromDefault() ($KUBECONFIG, ~/.kube/config or the in-cluster service account).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../alpaca/clock.ts';
import { type ConnectionLease, createConnectionLease, type LeasedConnections } from './connection-lease.ts';
import { timingsFor } from './decide.ts';
import { LeaseElector, type LeaseStatus } from './elector.ts';
import { createKubeLeaseStore } from './kube-store.ts';
import { leaseNameForKeyId } from './name.ts';

export interface LeaseSettings {
  enabled: boolean;
  namespace: string | null;
  durationSeconds: number;
}

export interface LeaseSetupOptions {
  lease: LeaseSettings;
  keyId: string;
  /** Holder identity: the pod name. */
  identity: string;
  connections: LeasedConnections;
  logger: Logger;
  onStatus?(status: LeaseStatus): void;
  /** Default: a KubeConfig from loadFromDefault(). */
  kubeConfig?: KubeConfig;
  clock?: Clock;
}

export interface LeaseSetup {
  lease: ConnectionLease;
  /** The Lease's name, null when disabled. */
  name: string | null;
}

export function setupConnectionLease(o: LeaseSetupOptions): LeaseSetup {
  if (!o.lease.enabled || !o.lease.namespace) {
    return {
      lease: createConnectionLease({ connections: o.connections, logger: o.logger, makeElector: null }),
      name: null,
    };
  }
  const name = leaseNameForKeyId(o.keyId);
  const logger = o.logger.child({ component: 'lease', lease: name, namespace: o.lease.namespace });
  let kubeConfig = o.kubeConfig;
  if (kubeConfig === undefined) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
  }
  const store = createKubeLeaseStore({
    kubeConfig,
    namespace: o.lease.namespace,
    name,
    labels: {
      'app.kubernetes.io/name': 'alpaca-forwarder',
      'app.kubernetes.io/component': 'connection-lease',
    },
  });
  const lease = createConnectionLease({
    connections: o.connections,
    logger,
    makeElector: (handlers) =>
      new LeaseElector(store, {
        identity: o.identity,
        timings: timingsFor(o.lease.durationSeconds),
        clock: o.clock ?? systemClock,
        logger,
        onAcquired: handlers.onAcquired,
        onLost: handlers.onLost,
        ...(o.onStatus ? { onStatus: o.onStatus } : {}),
      }),
  });
  return { lease, name };
}
