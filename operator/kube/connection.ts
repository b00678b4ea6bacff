/**
 * One HTTP connection pool per API server for every API call and watch of a KubeConfig.
 *
 * client-node 2.0.1 builds a new undici Agent for every request (`KubeConfig.createDispatcher`,
 * called from `applySecurityAuthentication` by the generated clients and by `Watch`), so no
 * request ever reuses a connection: a new TLS connection per call, each left open until undici's
 * idle timeout. Measured before this module: ~11 new connections per reconcile, 381 open at once
 * with 50 resources. Here that factory is memoised: requests with the same cluster, proxy and TLS
 * material share one Agent, whose keep-alive pool undici reuses; with HTTP/2 (undici offers h2 by
 * ALPN, kube-apiserver prefers it) every call and every watch is a stream on one connection, as
 * with client-go. Credentials that live in headers (bearer tokens, re-read from the token file)
 * are still applied per request. When the TLS material changes (a rotated client certificate or
 * CA file), a new Agent is made and the old one is closed gracefully (its open watches end first).
 */
import { createHash } from 'node:crypto';
import type { AgentOptions } from 'node:https';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';

/** The part of undici's Dispatcher this module uses. */
export interface ClosableDispatcher {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

type DispatcherFactory = (cluster: Cluster | null, agentOptions: AgentOptions) => unknown;

interface WithFactory {
  createDispatcher?: DispatcherFactory;
}

export interface SharedConnections {
  /** Dispatchers created so far (1 for the life of a process unless TLS material rotates). */
  readonly created: number;
  /** Destroys every pooled connection (shutdown). */
  close(): Promise<void>;
}

const installed = new WeakMap<KubeConfig, SharedConnections>();

function fingerprint(cluster: Cluster | null, o: AgentOptions): string {
  const h = createHash('sha256');
  const part = (v: unknown) => {
    if (v === undefined || v === null) h.update('\0-');
    else if (Buffer.isBuffer(v)) h.update('\0b').update(v);
    else if (Array.isArray(v)) for (const x of v) part(x);
    else h.update(`\0s${String(v)}`);
  };
  for (const v of [cluster?.server, cluster?.proxyUrl, cluster?.skipTLSVerify]) part(v);
  for (const v of [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername]) part(v);
  return h.digest('hex');
}

/**
 * Makes every request of `kc` share one connection pool per API server (idempotent per
 * KubeConfig). Throws a clear error if client-node no longer has the factory this relies on.
 */
export function shareConnections(kc: KubeConfig): SharedConnections {
  const existing = installed.get(kc);
  if (existing) return existing;
  const target = kc as unknown as WithFactory;
  const original = target.createDispatcher;
  if (typeof original !== 'function') {
    throw new Error(
      'client-node KubeConfig.createDispatcher is gone: operator/kube/connection.ts must be adapted to this client-node version',
    );
  }
  let current: { key: string; dispatcher: unknown } | undefined;
  const retired: ClosableDispatcher[] = [];
  let created = 0;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = fingerprint(cluster, agentOptions);
    if (current?.key === key) return current.dispatcher;
    const dispatcher = original.call(kc, cluster, agentOptions);
    created++;
    if (current?.dispatcher) {
      const old = current.dispatcher as ClosableDispatcher;
      retired.push(old);
      // Graceful: requests and watches in flight on the old pool finish first.
      old.close().catch(() => {});
    }
    current = { key, dispatcher };
    return dispatcher;
  };
  const shared: SharedConnections = {
    get created() {
      return created;
    },
    async close() {
      const all = [...retired, ...(current?.dispatcher ? [current.dispatcher as ClosableDispatcher] : [])];
      retired.length = 0;
      // A later request (the KubeConfig outlives this client) builds a fresh pool.
      current = undefined;
      await Promise.allSettled(all.map((d) => d.destroy()));
    },
  };
  installed.set(kc, shared);
  return shared;
}
