/**
 * The operator's Kubernetes client, for exactly what the operator does: read, list, watch,
 * server-side apply (one field manager, force), status-subresource apply, Secret reads, Lease and
 * Event writes, API discovery. Plain JSON over one HTTP/2 connection (lib/kube/http2-transport.ts)
 * with the config of lib/kube/kube-config.ts; @kubernetes/client-node is used for its types only
 * (its import alone costs ~86 MiB RSS). Every failure becomes a KubeError (errors.ts). Every
 * patch states its Content-Type (apply-patch+yaml, merge-patch+json).
 */
import type { EventsV1Event, KubernetesObject } from '@kubernetes/client-node';
import { Http2Transport, type RequestSpec } from '../../lib/kube/http2-transport.ts';
import type { KubeClientConfig } from '../../lib/kube/kube-config.ts';
import type { LeaseObject } from '../../lib/lease/lease-object.ts';
import { KubeError, toKubeError } from './errors.ts';
import type { ListResult, WatchEvent, WatchHandle, WatchSource } from './list-watcher.ts';
import { apiVersionOf, collectionPath, objectPath, type ResourceType, resourceTypeFor } from './resources.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

export interface WatchTuning {
  /** Server-side watch timeout; the server closes the watch cleanly after it (kube-rs uses 290). */
  timeoutSeconds: number;
  /** The stream's own inactivity abort (a backstop behind the ListWatcher watchdog). */
  inactivityMs: number;
}

/** Secret data, decoded; only the keys asked for. Never log these values. */
export type SecretData = Map<string, Buffer>;

export interface FieldManagers {
  /** Server-side apply of owned objects. */
  apply: string;
  /** Server-side apply of the status subresource. */
  status: string;
}

export interface KubeClientOptions {
  /** Default `alpaca-forwarder-operator`. */
  userAgent?: string;
  /** Per request, without progress; default 60 s. */
  requestTimeoutMs?: number;
}

const APPLY_PATCH = 'application/apply-patch+yaml';
const MERGE_PATCH = 'application/merge-patch+json';
const EVENTS = { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };
const LEASES = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};

/**
 * The intent as JSON for the wire. The desired-state builders use client-node's model types, which
 * rename reserved words: a NetworkPolicy ingress rule's `from` is `_from` there.
 */
export function toWire<T extends KubernetesObject>(obj: T): T {
  if (obj.kind !== 'NetworkPolicy') return obj;
  const spec = (obj as { spec?: { ingress?: Array<Record<string, unknown>> } }).spec;
  if (!spec?.ingress) return obj;
  const ingress = spec.ingress.map(({ _from, ...rule }) =>
    _from === undefined ? rule : { ...rule, from: _from },
  );
  return { ...obj, spec: { ...spec, ingress } };
}

interface ObjectList<T> {
  items?: T[];
  metadata?: { resourceVersion?: string };
}

export class KubeClient {
  readonly config: KubeClientConfig;
  readonly #managers: FieldManagers;
  readonly #http: Http2Transport;

  constructor(config: KubeClientConfig, managers: FieldManagers, opts: KubeClientOptions = {}) {
    this.config = config;
    this.#managers = managers;
    // Every API call and watch below is a stream on this transport's one HTTP/2 session.
    this.#http = new Http2Transport({
      config,
      userAgent: opts.userAgent ?? 'alpaca-forwarder-operator',
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    });
  }

  /** API server connections opened so far (1 unless the connection was lost or replaced). */
  get connectionsOpened(): number {
    return this.#http.sessionsOpened;
  }

  /** Closes the API server connection (after every watch and request has ended). */
  async close(): Promise<void> {
    await this.#http.close();
  }

  async #call<T>(what: string, spec: RequestSpec): Promise<T> {
    try {
      return (await this.#http.request(spec)).body as T;
    } catch (err) {
      throw toKubeError(err, what);
    }
  }

  /** #call, with undefined for a 404. */
  async #callOrMissing<T>(what: string, spec: RequestSpec): Promise<T | undefined> {
    try {
      return await this.#call<T>(what, spec);
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'NotFound') return undefined;
      throw err;
    }
  }

  /** GET one object; undefined when it does not exist. */
  async get<T extends KubernetesObject>(
    rt: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    return this.#callOrMissing<T>(`get ${rt.kind} ${namespace}/${name}`, {
      method: 'GET',
      path: objectPath(rt, namespace, name),
    });
  }

  async list<T extends KubernetesObject>(rt: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    const res = await this.#call<ObjectList<T>>(
      `list ${rt.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}`,
      {
        method: 'GET',
        path: collectionPath(rt, opts.namespace),
        query: { labelSelector: opts.labelSelector },
      },
    );
    // List items come without apiVersion/kind; fill them in so every cached object is complete.
    const items = (res?.items ?? []).map((i) => ({ ...i, apiVersion: apiVersionOf(rt), kind: rt.kind }) as T);
    return { items, resourceVersion: res?.metadata?.resourceVersion ?? '' };
  }

  /** Server-side apply of a complete intent (apiVersion, kind, metadata.name/namespace) as our field manager, forced. */
  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const what = `apply ${obj.kind} ${namespace}/${name}`;
    const rt = resourceTypeFor(obj.apiVersion, obj.kind);
    if (rt === undefined) {
      throw new KubeError(
        'Invalid',
        0,
        `${what}: ${obj.apiVersion} ${obj.kind} is not a type this client knows`,
      );
    }
    return this.#call<T>(what, {
      method: 'PATCH',
      path: objectPath(rt, namespace, name),
      query: { fieldManager: this.#managers.apply, force: true },
      body: toWire(obj),
      contentType: APPLY_PATCH,
    });
  }

  /** Whether the API server serves this resource type (API discovery); false for an unknown group/version. */
  async serves(rt: ResourceType): Promise<boolean> {
    const path = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
    const list = await this.#callOrMissing<{ resources?: Array<{ name?: string; kind?: string }> }>(
      `discover ${apiVersionOf(rt)}`,
      { method: 'GET', path },
    );
    return (list?.resources ?? []).some((r) => r.name === rt.plural && r.kind === rt.kind);
  }

  /** Deletes one object (background propagation); false when it was already gone. */
  async delete(rt: ResourceType, namespace: string, name: string): Promise<boolean> {
    try {
      await this.#call<unknown>(`delete ${rt.kind} ${namespace}/${name}`, {
        method: 'DELETE',
        path: objectPath(rt, namespace, name),
        body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'NotFound') return false;
      throw err;
    }
  }

  /** Server-side apply of the status subresource of a custom object. */
  async applyStatus(
    rt: ResourceType,
    namespace: string,
    name: string,
    status: unknown,
  ): Promise<KubernetesObject> {
    return this.#call<KubernetesObject>(`apply status of ${rt.kind} ${namespace}/${name}`, {
      method: 'PATCH',
      path: `${objectPath(rt, namespace, name)}/status`,
      query: { fieldManager: this.#managers.status, force: true },
      body: { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: { name, namespace }, status },
      contentType: APPLY_PATCH,
    });
  }

  /** Reads only the named keys of a Secret; undefined when the Secret does not exist. */
  async readSecretKeys(
    namespace: string,
    name: string,
    keys: readonly string[],
  ): Promise<SecretData | undefined> {
    const s = await this.#callOrMissing<{ data?: Record<string, string> }>(
      `read Secret ${namespace}/${name}`,
      {
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/secrets/${encodeURIComponent(name)}`,
      },
    );
    if (s === undefined) return undefined;
    const out: SecretData = new Map();
    for (const k of keys) {
      const v = s.data?.[k];
      if (v !== undefined) out.set(k, Buffer.from(v, 'base64'));
    }
    return out;
  }

  async createEvent(namespace: string, event: EventsV1Event): Promise<void> {
    await this.#call(`create Event in ${namespace}`, {
      method: 'POST',
      path: collectionPath(EVENTS, namespace),
      body: event,
    });
  }

  async patchEvent(namespace: string, name: string, patch: object): Promise<void> {
    await this.#call(`patch Event ${namespace}/${name}`, {
      method: 'PATCH',
      path: objectPath(EVENTS, namespace, name),
      body: patch,
      contentType: MERGE_PATCH,
    });
  }

  async getLease(namespace: string, name: string): Promise<LeaseObject | undefined> {
    return this.#callOrMissing<LeaseObject>(`get Lease ${namespace}/${name}`, {
      method: 'GET',
      path: objectPath(LEASES, namespace, name),
    });
  }

  async createLease(namespace: string, lease: LeaseObject): Promise<LeaseObject> {
    return this.#call<LeaseObject>(`create Lease ${namespace}/${lease.metadata?.name}`, {
      method: 'POST',
      path: collectionPath(LEASES, namespace),
      body: lease,
    });
  }

  /** Replace with the lease's metadata.resourceVersion as precondition (409 when someone else wrote it). */
  async replaceLease(namespace: string, lease: LeaseObject): Promise<LeaseObject> {
    const name = lease.metadata?.name ?? '';
    return this.#call<LeaseObject>(`replace Lease ${namespace}/${name}`, {
      method: 'PUT',
      path: objectPath(LEASES, namespace, name),
      body: lease,
    });
  }

  /**
   * A WatchSource (list-then-watch with bookmarks) for one resource type, in one namespace or all.
   * `transform` is applied to every object before it leaves this function (e.g. dropping Secret
   * data so that no value is ever cached).
   */
  watchSource<T extends KubernetesObject>(
    rt: ResourceType,
    opts: ListOptions,
    tuning: WatchTuning,
    transform: (obj: T) => T = (o) => o,
  ): WatchSource<T> {
    const path = collectionPath(rt, opts.namespace);
    const what = `watch ${rt.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}`;
    const http = this.#http;
    return {
      list: async () => {
        const res = await this.list<T>(rt, opts);
        return { items: res.items.map(transform), resourceVersion: res.resourceVersion };
      },
      async watch(resourceVersion, onEvent, onDone): Promise<WatchHandle> {
        try {
          return http.watch(
            {
              path,
              query: {
                watch: true,
                resourceVersion,
                allowWatchBookmarks: true,
                timeoutSeconds: tuning.timeoutSeconds,
                labelSelector: opts.labelSelector,
              },
            },
            {
              onLine: (line) => {
                const e = line as { type?: string; object?: unknown };
                const t = e.type as WatchEvent<T>['type'];
                const o = e.object as T;
                onEvent({ type: t, object: t === 'BOOKMARK' || t === 'ERROR' ? o : transform(o) });
              },
              onDone: (err) => onDone(err === undefined ? undefined : toKubeError(err, what)),
            },
            tuning.inactivityMs,
          );
        } catch (err) {
          throw toKubeError(err, what);
        }
      },
    };
  }
}
