/**
 * Typed wrappers over @kubernetes/client-node 2.0.1 for exactly what the operator does: read,
 * list, watch, server-side apply (one field manager, force), status-subresource apply, Secret
 * reads, Lease and Event writes. Every failure becomes a KubeError (errors.ts). Every patch states
 * its Content-Type explicitly (client-node would otherwise pick json-patch for custom objects).
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type EventsV1Event,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
  Watch,
} from '@kubernetes/client-node';
import { type SharedConnections, shareConnections } from './connection.ts';
import { toKubeError } from './errors.ts';
import type { ListResult, WatchEvent, WatchHandle, WatchSource } from './list-watcher.ts';
import { apiVersionOf, collectionPath, type ResourceType } from './resources.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

export interface WatchTuning {
  /** Server-side watch timeout; the server closes the watch cleanly after it (kube-rs uses 290). */
  timeoutSeconds: number;
  /** client-node's own inactivity abort (a backstop behind the ListWatcher watchdog). */
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

export class KubeClient {
  readonly kc: KubeConfig;
  readonly #managers: FieldManagers;
  readonly #objects: KubernetesObjectApi;
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #events: EventsV1Api;
  readonly #coordination: CoordinationV1Api;
  readonly #connections: SharedConnections;

  constructor(kc: KubeConfig, managers: FieldManagers) {
    this.kc = kc;
    this.#managers = managers;
    // Every API call and watch below goes through kc: one connection pool per API server.
    this.#connections = shareConnections(kc);
    this.#objects = KubernetesObjectApi.makeApiClient(kc);
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#events = kc.makeApiClient(EventsV1Api);
    this.#coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /** Closes the pooled API server connections (after every watch and request has ended). */
  async close(): Promise<void> {
    await this.#connections.close();
  }

  /** GET one object; undefined when it does not exist. */
  async get<T extends KubernetesObject>(
    rt: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return (await this.#objects.read({
        apiVersion: apiVersionOf(rt),
        kind: rt.kind,
        metadata: { name, namespace },
      })) as T;
    } catch (err) {
      const e = toKubeError(err, `get ${rt.kind} ${namespace}/${name}`);
      if (e.kind === 'NotFound') return undefined;
      throw e;
    }
  }

  async list<T extends KubernetesObject>(rt: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    try {
      const res = await this.#objects.list<T>(
        apiVersionOf(rt),
        rt.kind,
        opts.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        opts.labelSelector,
      );
      // List items come without apiVersion/kind; fill them in so every cached object is complete.
      const items = res.items.map((i) => ({ ...i, apiVersion: apiVersionOf(rt), kind: rt.kind }) as T);
      return { items, resourceVersion: res.metadata?.resourceVersion ?? '' };
    } catch (err) {
      throw toKubeError(err, `list ${rt.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}`);
    }
  }

  /** Server-side apply of a complete intent (apiVersion, kind, metadata.name/namespace) as our field manager, forced. */
  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    try {
      return (await this.#objects.patch(
        obj,
        undefined,
        undefined,
        this.#managers.apply,
        true,
        PatchStrategy.ServerSideApply,
      )) as T;
    } catch (err) {
      throw toKubeError(err, `apply ${obj.kind} ${obj.metadata?.namespace}/${obj.metadata?.name}`);
    }
  }

  /** Whether the API server serves this resource type (API discovery); false for an unknown group/version. */
  async serves(rt: ResourceType): Promise<boolean> {
    try {
      const list = await this.#custom.getAPIResources({ group: rt.group, version: rt.version });
      return list.resources.some((r) => r.name === rt.plural && r.kind === rt.kind);
    } catch (err) {
      const e = toKubeError(err, `discover ${apiVersionOf(rt)}`);
      if (e.kind === 'NotFound') return false;
      throw e;
    }
  }

  /** Deletes one object (background propagation); false when it was already gone. */
  async delete(rt: ResourceType, namespace: string, name: string): Promise<boolean> {
    try {
      await this.#objects.delete(
        { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: { name, namespace } },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
      return true;
    } catch (err) {
      const e = toKubeError(err, `delete ${rt.kind} ${namespace}/${name}`);
      if (e.kind === 'NotFound') return false;
      throw e;
    }
  }

  /** Server-side apply of the status subresource of a custom object. */
  async applyStatus(
    rt: ResourceType,
    namespace: string,
    name: string,
    status: unknown,
  ): Promise<KubernetesObject> {
    try {
      return (await this.#custom.patchNamespacedCustomObjectStatus(
        {
          group: rt.group,
          version: rt.version,
          plural: rt.plural,
          namespace,
          name,
          body: { apiVersion: apiVersionOf(rt), kind: rt.kind, metadata: { name, namespace }, status },
          fieldManager: this.#managers.status,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      )) as KubernetesObject;
    } catch (err) {
      throw toKubeError(err, `apply status of ${rt.kind} ${namespace}/${name}`);
    }
  }

  /** Reads only the named keys of a Secret; undefined when the Secret does not exist. */
  async readSecretKeys(
    namespace: string,
    name: string,
    keys: readonly string[],
  ): Promise<SecretData | undefined> {
    try {
      const s = await this.#core.readNamespacedSecret({ namespace, name });
      const out: SecretData = new Map();
      for (const k of keys) {
        const v = s.data?.[k];
        if (v !== undefined) out.set(k, Buffer.from(v, 'base64'));
      }
      return out;
    } catch (err) {
      const e = toKubeError(err, `read Secret ${namespace}/${name}`);
      if (e.kind === 'NotFound') return undefined;
      throw e;
    }
  }

  async createEvent(namespace: string, event: EventsV1Event): Promise<void> {
    try {
      await this.#events.createNamespacedEvent({ namespace, body: event });
    } catch (err) {
      throw toKubeError(err, `create Event in ${namespace}`);
    }
  }

  async patchEvent(namespace: string, name: string, patch: object): Promise<void> {
    try {
      await this.#events.patchNamespacedEvent(
        { namespace, name, body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw toKubeError(err, `patch Event ${namespace}/${name}`);
    }
  }

  async getLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.#coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      const e = toKubeError(err, `get Lease ${namespace}/${name}`);
      if (e.kind === 'NotFound') return undefined;
      throw e;
    }
  }

  async createLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    try {
      return await this.#coordination.createNamespacedLease({ namespace, body: lease });
    } catch (err) {
      throw toKubeError(err, `create Lease ${namespace}/${lease.metadata?.name}`);
    }
  }

  /** Replace with the lease's metadata.resourceVersion as precondition (409 when someone else wrote it). */
  async replaceLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    const name = lease.metadata?.name ?? '';
    try {
      return await this.#coordination.replaceNamespacedLease({ namespace, name, body: lease });
    } catch (err) {
      throw toKubeError(err, `replace Lease ${namespace}/${name}`);
    }
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
    const kc = this.kc;
    return {
      list: async () => {
        const res = await this.list<T>(rt, opts);
        return { items: res.items.map(transform), resourceVersion: res.resourceVersion };
      },
      async watch(resourceVersion, onEvent, onDone): Promise<WatchHandle> {
        const w = new Watch(kc);
        // client-node 2.0.1 aborts a watch after 30 s without data (PR #3022); the API server sends
        // bookmarks about once a minute, so widen it: the ListWatcher watchdog is the primary guard.
        (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = tuning.inactivityMs;
        const controller = await w.watch(
          path,
          {
            resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: tuning.timeoutSeconds,
            labelSelector: opts.labelSelector,
          },
          (type: string, object: unknown) => {
            const t = type as WatchEvent<T>['type'];
            const o = object as T;
            onEvent({ type: t, object: t === 'BOOKMARK' || t === 'ERROR' ? o : transform(o) });
          },
          (err: unknown) => onDone(err ?? undefined),
        );
        return { stop: () => controller.abort() };
      },
    };
  }
}
