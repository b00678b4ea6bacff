/**
 * The connection Lease (design §4.1) behind a small interface: acquire before connecting to
 * Alpaca, renew while streaming, release after the sockets closed. `createKubeLease` talks to
 * coordination.k8s.io; `noLease` is used when no namespace is configured (outside a cluster).
 */
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { decide, type LeaseView, leaseName } from './decision.ts';

export interface ConnectionLease {
  /** Resolves once this process holds the lease (waits while another holder's lease is live). */
  acquire(signal: AbortSignal): Promise<void>;
  /** Called when a renewal finds the lease held by someone else (or cannot renew before it expires). */
  onLost(listener: () => void): void;
  /** Gives the lease up (holder cleared) so the next process can connect at once. */
  release(): Promise<void>;
}

export const noLease: ConnectionLease = {
  acquire: async () => {},
  onLost: () => {},
  release: async () => {},
};

export interface KubeLeaseOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  keyId: string;
  holder: string;
  durationSeconds: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Lease times are MicroTime: the apiserver requires exactly six fractional digits, while
 * client-node 2.0.1 serialises a Date with toISOString() (milliseconds) and gets a 400.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/Z$/, '000Z');
  }
}

function view(lease: V1Lease): LeaseView {
  const renew = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  return {
    holder: lease.spec?.holderIdentity ?? null,
    durationSeconds: lease.spec?.leaseDurationSeconds ?? 15,
    renewMs: renew ? new Date(renew).getTime() : null,
  };
}

function status(err: unknown): number | null {
  return err instanceof ApiException ? err.code : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

export function createKubeLease(o: KubeLeaseOptions): ConnectionLease {
  const api = o.kubeConfig.makeApiClient(CoordinationV1Api);
  const name = leaseName(o.keyId);
  const now = o.now ?? Date.now;
  const logger = o.logger.child({ component: 'lease', lease: name, namespace: o.namespace });
  const lost: (() => void)[] = [];
  let renewTimer: NodeJS.Timeout | undefined;
  let held = false;

  function body(existing: V1Lease | null, transition: boolean): V1Lease {
    const t = new MicroTime(now());
    const spec = existing?.spec ?? {};
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: o.namespace,
        ...(existing?.metadata?.resourceVersion
          ? { resourceVersion: existing.metadata.resourceVersion }
          : {}),
        labels: { 'app.kubernetes.io/name': 'alpaca-forwarder', 'torghut.io/lease': 'alpaca-connection' },
      },
      spec: {
        holderIdentity: o.holder,
        leaseDurationSeconds: o.durationSeconds,
        acquireTime:
          transition || !spec.acquireTime ? t : new MicroTime(new Date(spec.acquireTime).getTime()),
        renewTime: t,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (transition && existing ? 1 : 0),
      },
    };
  }

  async function read(): Promise<V1Lease | null> {
    try {
      return await api.readNamespacedLease({ name, namespace: o.namespace });
    } catch (err) {
      if (status(err) === 404) return null;
      throw err;
    }
  }

  /** One attempt; true when held afterwards. A 409 (someone else wrote first) is a lost race. */
  async function attempt(): Promise<{ held: boolean; holder: string | null }> {
    const existing = await read();
    const d = decide(existing ? view(existing) : null, o.holder, now());
    if (d === 'wait') return { held: false, holder: existing ? view(existing).holder : null };
    try {
      if (d === 'create') await api.createNamespacedLease({ namespace: o.namespace, body: body(null, true) });
      else
        await api.replaceNamespacedLease({
          name,
          namespace: o.namespace,
          body: body(existing, d === 'take'),
        });
      return { held: true, holder: o.holder };
    } catch (err) {
      if (status(err) === 409) return { held: false, holder: null };
      throw err;
    }
  }

  function scheduleRenew(): void {
    const every = Math.max(1000, (o.durationSeconds * 1000) / 3);
    renewTimer = setTimeout(async () => {
      if (!held) return;
      try {
        const r = await attempt();
        if (!r.held) {
          held = false;
          logger.error({ holder: r.holder }, 'connection lease lost to another holder');
          for (const l of lost) l();
          return;
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'lease renewal failed; retrying');
      }
      scheduleRenew();
    }, every);
    renewTimer.unref();
  }

  return {
    async acquire(signal) {
      let logged = false;
      while (!signal.aborted) {
        try {
          const r = await attempt();
          if (r.held) {
            held = true;
            logger.info({ holder: o.holder }, 'connection lease acquired');
            scheduleRenew();
            return;
          }
          if (!logged) {
            logger.warn({ holder: r.holder }, 'connection lease held by another process; waiting');
            logged = true;
          }
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'lease request failed; retrying');
        }
        await sleep(Math.max(500, (o.durationSeconds * 1000) / 4), signal);
      }
      throw new Error('lease acquisition aborted');
    },
    onLost(listener) {
      lost.push(listener);
    },
    async release() {
      clearTimeout(renewTimer);
      if (!held) return;
      held = false;
      try {
        const existing = await read();
        if (existing && view(existing).holder === o.holder) {
          const b = body(existing, false);
          if (b.spec) {
            b.spec.holderIdentity = undefined;
            b.spec.renewTime = undefined;
          }
          await api.replaceNamespacedLease({ name, namespace: o.namespace, body: b });
          logger.info('connection lease released');
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'lease release failed; it expires on its own');
      }
    },
  };
}
