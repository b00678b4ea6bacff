/**
 * Builds the connection Lease from the forwarder config: disabled (no Kubernetes access at all)
 * when lease.enabled is false; otherwise a LeaseElector on the Kubernetes Lease named after the
 * key id, with client-go timings scaled to lease.durationSeconds, reaching the API server with
 * the config loadDefaultKubeConfig() finds ($KUBECONFIG, ~/.kube/config or the in-cluster
 * service account), without @kubernetes/client-node.
 */
import type { Logger } from 'pino';
import { type KubeClientConfig, loadDefaultKubeConfig } from '../../lib/kube/kube-config.ts';
import { timingsFor } from '../../lib/lease/decide.ts';
import { LeaseElector, type LeaseStatus } from '../../lib/lease/elector.ts';
import { type LeaseStore, LeaseStoreError } from '../../lib/lease/store.ts';
import { type Clock, systemClock } from '../../lib/time/clock.ts';
import { type ConnectionLease, createConnectionLease, type LeasedConnections } from './connection-lease.ts';
import { createKubeLeaseStore } from './kube-store.ts';
import { leaseNameForKeyId } from './name.ts';

function unavailableStore(err: LeaseStoreError): LeaseStore {
  const fail = () => Promise.reject(err);
  return { get: fail, create: fail, replace: fail };
}

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
  /** Default: loadDefaultKubeConfig() (the process env). */
  kubeConfig?: KubeClientConfig;
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
  const timings = timingsFor(o.lease.durationSeconds);
  let store: LeaseStore;
  try {
    const kubeConfig = o.kubeConfig ?? loadDefaultKubeConfig();
    logger.info(
      { kube_config: kubeConfig.source, server: kubeConfig.server },
      'connection Lease via the API server',
    );
    store = createKubeLeaseStore({
      kubeConfig,
      namespace: o.lease.namespace,
      name,
      // A request that outlives the renew deadline is lost anyway (the elector gives up then).
      requestTimeoutMs: timings.renewDeadlineMs,
      labels: {
        'app.kubernetes.io/name': 'alpaca-forwarder',
        'app.kubernetes.io/component': 'connection-lease',
      },
    });
  } catch (err) {
    // Keep running (health, metrics) and say why no connection is made: readiness shows
    // lease_unavailable with error `kube_config`.
    logger.error({ err }, 'no Kubernetes client config for the connection Lease');
    store = unavailableStore(
      new LeaseStoreError('kube_config', `Kubernetes client config: ${(err as Error).message}`),
    );
  }
  const lease = createConnectionLease({
    connections: o.connections,
    logger,
    makeElector: (handlers) =>
      new LeaseElector(store, {
        identity: o.identity,
        subject: 'connection lease',
        timings,
        clock: o.clock ?? systemClock,
        logger,
        onAcquired: handlers.onAcquired,
        onLost: handlers.onLost,
        ...(o.onStatus ? { onStatus: o.onStatus } : {}),
      }),
  });
  return { lease, name };
}
