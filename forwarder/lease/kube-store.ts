/**
 * LeaseStore on coordination.k8s.io/v1 over node:https (no @kubernetes/client-node: its import
 * alone costs the forwarder ~83 MB RSS): GET (404 → undefined), POST, and PUT with
 * metadata.resourceVersion as precondition (409 → LeaseConflictError); any other status a
 * LeaseStoreError `http_<status>`, a failed or timed-out request `network`. One keep-alive Agent
 * carries the TLS material, so renewals reuse one connection. Needs exactly the verbs the
 * operator's forwarder Role grants: get/update on the Lease, create in the namespace.
 */
import { Agent, request } from 'node:https';
import type { KubeClientConfig } from '../../lib/kube/kube-config.ts';
import { type LeaseObject, leaseObjectBody, leaseRecordFromObject } from '../../lib/lease/lease-object.ts';
import { LeaseConflictError, type LeaseStore, LeaseStoreError } from '../../lib/lease/store.ts';

export interface KubeLeaseStoreOptions {
  kubeConfig: KubeClientConfig;
  namespace: string;
  name: string;
  /** Labels put on the Lease when it is created. */
  labels?: Record<string, string>;
  /** Per request, from sending to the whole response read; default 10 s. */
  requestTimeoutMs?: number;
}

interface Reply {
  status: number;
  body: string;
}

/** A failed exchange: `code` is the socket's error code or `timeout`, never upstream text. */
class NetworkError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function createKubeLeaseStore(o: KubeLeaseStoreOptions): LeaseStore {
  const cfg = o.kubeConfig;
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 2,
    ...(cfg.ca ? { ca: cfg.ca } : {}),
    ...(cfg.cert ? { cert: cfg.cert } : {}),
    ...(cfg.key ? { key: cfg.key } : {}),
  });
  const ns = encodeURIComponent(o.namespace);
  const leases = `${cfg.server}/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
  const one = `${leases}/${encodeURIComponent(o.name)}`;
  const where = `Lease ${o.namespace}/${o.name}`;
  const metadata = { name: o.name, namespace: o.namespace, ...(o.labels ? { labels: o.labels } : {}) };

  const send = (method: string, url: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = {
        accept: 'application/json',
        'user-agent': 'alpaca-forwarder',
      };
      const token = cfg.token?.();
      if (token) headers.authorization = `Bearer ${token}`;
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = request(url, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (err) => reject(new NetworkError('response', err.message, { cause: err })));
      });
      const timer = setTimeout(() => {
        req.destroy(new NetworkError('timeout', `no complete answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          err instanceof NetworkError
            ? err
            : new NetworkError(err.code ?? 'request', err.message, { cause: err }),
        ),
      );
      req.end(payload);
    });

  /** The Lease of a 2xx answer; undefined for an allowed 404; otherwise the store's errors. */
  const call = async (what: string, method: string, url: string, body?: unknown, allow404 = false) => {
    let reply: Reply;
    try {
      reply = await send(method, url, body);
    } catch (err) {
      const code = err instanceof NetworkError ? err.code : 'request';
      throw new LeaseStoreError('network', `${what}: ${code} (${(err as Error).message})`, { cause: err });
    }
    if (reply.status >= 200 && reply.status < 300) {
      try {
        return leaseRecordFromObject(JSON.parse(reply.body) as LeaseObject);
      } catch (err) {
        throw new LeaseStoreError(
          'bad_response',
          `${what}: HTTP ${reply.status} with a body that is not JSON`,
          {
            cause: err,
          },
        );
      }
    }
    if (reply.status === 404 && allow404) return undefined;
    if (reply.status === 409) throw new LeaseConflictError(`${what}: conflict (HTTP 409)`);
    throw new LeaseStoreError(`http_${reply.status}`, `${what}: HTTP ${reply.status} from the API server`);
  };

  return {
    get: () => call(`get ${where}`, 'GET', one, undefined, true),
    async create(spec) {
      const r = await call(`create ${where}`, 'POST', leases, leaseObjectBody(metadata, spec));
      if (!r) throw new LeaseStoreError('bad_response', `create ${where}: no Lease in the answer`);
      return r;
    },
    async replace(resourceVersion, spec) {
      const r = await call(`update ${where}`, 'PUT', one, leaseObjectBody(metadata, spec, resourceVersion));
      if (!r) throw new LeaseStoreError('bad_response', `update ${where}: no Lease in the answer`);
      return r;
    },
  };
}
