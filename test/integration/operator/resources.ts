/**
 * The test resources the operator integration tests create and wait on, in one place: a minimal
 * AlpacaForwarder spec, a server-side apply as the "user", a credentials Secret, waits on an
 * AlpacaForwarder and on the operator's Lease, and "reconcile after a poke".
 */
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Lease,
} from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../../../operator/api/types.ts';
import type { ReconcileReport } from '../../../operator/controller/reconcile.ts';
import { waitFor } from '../../infra/kube/index.ts';
import { poke, type ReconcileLog, readAtLeast } from './harness.ts';

export const AF = { apiVersion: 'torghut.io/v1alpha1', kind: 'AlpacaForwarder' } as const;
export const AF_WATCH = { ...AF, plural: 'alpacaforwarders' } as const;
export const OPERATOR_LEASE = 'alpaca-forwarder-operator';

/** The smallest valid spec: test feed, one symbol, no backfill, a PLAINTEXT bootstrap. */
export function forwarderSpec(secretName: string, extra: Record<string, unknown> = {}) {
  return {
    feed: 'test',
    symbols: ['FAKEPACA'],
    credentialsSecretRef: { name: secretName },
    backfill: { bars: { enabled: false }, gapFill: { enabled: false } },
    kafka: { bootstrapServers: ['kafka-bootstrap.kafka.svc:9092'], securityProtocol: 'PLAINTEXT' },
    ...extra,
  };
}

/** Applies as the "user" (its own field manager, forced), like kubectl apply --server-side. */
export async function userApply(
  kc: KubeConfig,
  obj: KubernetesObject & Record<string, unknown>,
): Promise<void> {
  await KubernetesObjectApi.makeApiClient(kc).patch(
    obj,
    undefined,
    undefined,
    'test-user',
    true,
    PatchStrategy.ServerSideApply,
  );
}

/** Applies an AlpacaForwarder with the given spec as the "user". */
export function applyForwarder(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  return userApply(kc, { ...AF, metadata: { name, namespace }, spec });
}

export interface Credentials {
  keyId: string;
  secretKey: string;
}

/** Creates an Alpaca credentials Secret with fresh random values (returned, for leak checks). */
export async function createCredentials(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<Credentials> {
  const keyId = `PKTEST${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretKey = `sk${randomBytes(16).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name }, stringData: { APCA_API_KEY_ID: keyId, APCA_API_SECRET_KEY: secretKey } },
  });
  return { keyId, secretKey };
}

/** Resolves with check(af) once it is defined for the named AlpacaForwarder (watch-driven). */
export function waitForwarder<R>(
  kc: KubeConfig,
  namespace: string,
  name: string,
  check: (af: AlpacaForwarder) => R | undefined,
  what: string,
): Promise<R> {
  return waitFor<AlpacaForwarder & KubernetesObject, R>(
    kc,
    { ...AF_WATCH, namespace, fieldSelector: `metadata.name=${name}` },
    (items) => (items[0] ? check(items[0]) : undefined),
    { what, timeoutMs: 90_000 },
  );
}

/** Resolves with the operator's Lease once check(lease) holds. */
export function operatorLease(
  kc: KubeConfig,
  namespace: string,
  check: (lease: V1Lease) => boolean,
  what: string,
): Promise<V1Lease> {
  return waitFor<V1Lease, V1Lease>(
    kc,
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      plural: 'leases',
      namespace,
      fieldSelector: `metadata.name=${OPERATOR_LEASE}`,
    },
    (items) => (items[0] && check(items[0]) ? items[0] : undefined),
    { what, timeoutMs: 60_000 },
  );
}

/** Pokes the resource and resolves with the first reconcile in `log` that read it after the poke. */
export async function reconcileAfterPoke(
  kc: KubeConfig,
  log: ReconcileLog,
  namespace: string,
  name: string,
): Promise<ReconcileReport> {
  const key = `${namespace}/${name}`;
  const before = log.reports.length;
  let rv = '';
  const seen = log.next((r) => rv !== '' && readAtLeast(r, key, rv));
  rv = await poke(kc, namespace, name);
  // The reconcile can finish before the patch's own answer arrives (one shared HTTP/2
  // connection): look at the reports made meanwhile too.
  const early = log.reports.slice(before).find((r) => readAtLeast(r, key, rv));
  if (early !== undefined) {
    seen.catch(() => undefined);
    return early;
  }
  return seen;
}
