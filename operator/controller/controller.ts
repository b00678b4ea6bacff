/**
 * Wires the watches to the work queue: AlpacaForwarders (all namespaces or a set), the objects
 * we own (by the managed-by label; mapped to the owner by ownerReference), the forwarder pods
 * (mapped by the instance label) and Secrets (mapped to every resource that references them;
 * their data is dropped on arrival so no value is cached). Watches run all the time so a standby
 * is warm; the queue exists only while leading, so a process that is not the leader never acts.
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type AlpacaForwarder, API_VERSION, KIND } from '../api/types.ts';
import type { KubeClient } from '../kube/client.ts';
import { ListWatcher } from '../kube/list-watcher.ts';
import { ALPACA_FORWARDER, OWNED_TYPES, POD, type ResourceType, SECRET } from '../kube/resources.ts';
import type { Timers } from '../kube/timers.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { GroupIndex } from './group-index.ts';
import { labelOwnerKey, ownerKey, ownersOfSecret, resourceKey } from './mapping.ts';
import { MissingCrdReporter } from './missing-crd.ts';
import { type KeyHandler, WorkQueue } from './queue.ts';

export interface WatchTuning {
  timeoutSeconds: number;
  watchdogMs: number;
  resyncMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface ControllerOptions {
  client: KubeClient;
  /** Empty: all namespaces. */
  namespaces: readonly string[];
  /** Label selector of every object we own. */
  ownedSelector: string;
  /** Label selector of the forwarder pods. */
  podSelector: string;
  /** Pod label carrying the AlpacaForwarder's name. */
  instanceLabel: string;
  workers: number;
  queueBackoffBaseMs?: number;
  queueBackoffMaxMs?: number;
  tuning: WatchTuning;
  reconcile: KeyHandler;
  metrics: OperatorMetrics;
  logger: Logger;
  timers?: Timers;
}

export class Controller {
  readonly #o: ControllerOptions;
  readonly #forwarders: ListWatcher<AlpacaForwarder & KubernetesObject>[] = [];
  readonly #pods: ListWatcher<V1Pod>[] = [];
  /** The cached forwarder pods by owning resource (namespace/name), kept by the pod watches. */
  readonly #podsByOwner: GroupIndex<V1Pod>;
  readonly #owned = new Map<string, ListWatcher<KubernetesObject>[]>();
  readonly #secrets: ListWatcher<KubernetesObject>[] = [];
  readonly #all: ListWatcher<KubernetesObject>[] = [];
  #queue: WorkQueue | undefined;
  readonly #missingCrd: MissingCrdReporter;

  constructor(o: ControllerOptions) {
    this.#o = o;
    this.#podsByOwner = new GroupIndex<V1Pod>(
      (p) =>
        p.metadata?.namespace && p.metadata.name
          ? resourceKey(p.metadata.namespace, p.metadata.name)
          : undefined,
      (p) => labelOwnerKey(p, o.instanceLabel),
    );
    this.#missingCrd = new MissingCrdReporter(
      o.logger,
      `${ALPACA_FORWARDER.plural}.${ALPACA_FORWARDER.group}`,
    );
    const scopes: (string | undefined)[] = o.namespaces.length === 0 ? [undefined] : [...o.namespaces];
    for (const ns of scopes) {
      const af = this.#watch<AlpacaForwarder & KubernetesObject>(ALPACA_FORWARDER, ns, undefined, {
        onUpsert: (obj) => this.#enqueue(resourceKey(obj.metadata.namespace, obj.metadata.name)),
        onDelete: (obj) => {
          const key = resourceKey(obj.metadata.namespace, obj.metadata.name);
          this.#queue?.forget(key);
          // Another resource with the same key id may have been refused the credentials: let those
          // re-check (all of them when the deleted one's key id was not known yet).
          const keyIdHash = obj.status?.keyIdHash;
          for (const other of this.forwarders()) {
            if (keyIdHash && other.status?.keyIdHash !== keyIdHash) continue;
            this.#enqueue(resourceKey(other.metadata.namespace, other.metadata.name));
          }
          // The reconcile of a gone resource forgets its probe and Secret memo.
          this.#enqueue(key);
        },
      });
      this.#forwarders.push(af);
      void af.waitForSync().then(() => this.#missingCrd.served());
      for (const rt of OWNED_TYPES) {
        const lw = this.#watch(
          rt,
          ns,
          o.ownedSelector,
          this.#mapTo((obj) => ownerKey(obj, API_VERSION, KIND)),
        );
        this.#owned.set(rt.kind, [...(this.#owned.get(rt.kind) ?? []), lw]);
      }
      const toOwner = this.#mapTo((obj) => labelOwnerKey(obj, o.instanceLabel));
      this.#pods.push(
        this.#watch<V1Pod>(
          POD,
          ns,
          o.podSelector,
          {
            onUpsert: (p) => {
              this.#podsByOwner.upsert(p);
              toOwner.onUpsert(p);
            },
            onDelete: (p) => {
              this.#podsByOwner.delete(p);
              toOwner.onDelete(p);
            },
          },
          slimPod,
        ),
      );
      this.#secrets.push(
        this.#watch(
          SECRET,
          ns,
          undefined,
          {
            onUpsert: (s) => this.#onSecret(s),
            onDelete: (s) => this.#onSecret(s),
          },
          // Keep only metadata: Secret values never stay in the operator's memory.
          (s) => ({ apiVersion: s.apiVersion, kind: s.kind, metadata: s.metadata }),
        ),
      );
    }
  }

  #mapTo(toKey: (obj: KubernetesObject) => string | undefined) {
    const handle = (obj: KubernetesObject) => {
      const key = toKey(obj);
      if (key) this.#enqueue(key);
    };
    return { onUpsert: handle, onDelete: handle };
  }

  #onSecret(s: KubernetesObject): void {
    const ns = s.metadata?.namespace;
    const name = s.metadata?.name;
    if (!ns || !name) return;
    for (const key of ownersOfSecret(ns, name, this.forwarders())) this.#enqueue(key);
  }

  #watch<T extends KubernetesObject>(
    rt: ResourceType,
    namespace: string | undefined,
    labelSelector: string | undefined,
    handlers: { onUpsert(o: T): void; onDelete(o: T): void },
    transform?: (o: T) => T,
  ): ListWatcher<T> {
    const t = this.#o.tuning;
    const name = namespace ? `${rt.plural}/${namespace}` : rt.plural;
    const source = this.#o.client.watchSource<T>(
      rt,
      { namespace, labelSelector },
      { timeoutSeconds: t.timeoutSeconds, inactivityMs: t.watchdogMs + 30_000 },
      (obj) => stripUnread(transform ? transform(obj) : obj),
    );
    const lw = new ListWatcher<T>(source, handlers, {
      name,
      watchdogMs: t.watchdogMs,
      resyncMs: t.resyncMs,
      backoffBaseMs: t.backoffBaseMs,
      backoffMaxMs: t.backoffMaxMs,
      timers: this.#o.timers,
      onRestart: (reason, err) => {
        this.#o.metrics.watchRestarts.inc({ resource: rt.plural, reason });
        // The CRD is not installed (yet): one line says so, the retries stay quiet.
        if (rt === ALPACA_FORWARDER && this.#missingCrd.absorbs(err)) return;
        const log = reason === 'error' || reason === 'list_error' ? 'warn' : 'debug';
        this.#o.logger[log]({ watch: name, reason, err }, 'watch restarting');
      },
    });
    this.#all.push(lw as unknown as ListWatcher<KubernetesObject>);
    return lw;
  }

  #enqueue(key: string): void {
    this.#queue?.add(key);
  }

  /** Queues a reconcile of key (while leading). */
  enqueue(key: string): void {
    this.#enqueue(key);
  }

  start(): void {
    for (const w of this.#all) w.start();
  }

  /** Resolves when every watch has listed once. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.#all.map((w) => w.waitForSync()));
  }

  get synced(): boolean {
    return this.#all.every((w) => w.synced);
  }

  get leading(): boolean {
    return this.#queue !== undefined;
  }

  /** Creates the queue and enqueues every known resource. */
  startLeading(): void {
    if (this.#queue) return;
    const m = this.#o.metrics;
    this.#queue = new WorkQueue(this.#o.reconcile, {
      workers: this.#o.workers,
      backoffBaseMs: this.#o.queueBackoffBaseMs,
      backoffMaxMs: this.#o.queueBackoffMaxMs,
      timers: this.#o.timers,
      onDepth: (d) => m.queueDepth.set(d),
      onError: (key, err, retryInMs) =>
        this.#o.logger.warn({ key, retry_in_ms: retryInMs, err }, 'reconcile failed; retrying'),
    });
    for (const af of this.forwarders()) this.#queue.add(resourceKey(af.metadata.namespace, af.metadata.name));
  }

  /** Leadership lost: abort in-flight reconciles and drop the queue at once. */
  async stopLeading(): Promise<void> {
    const q = this.#queue;
    this.#queue = undefined;
    await q?.stop();
  }

  /** Graceful: let in-flight reconciles finish, then stop the watches. */
  async shutdown(): Promise<void> {
    const q = this.#queue;
    this.#queue = undefined;
    await q?.drain();
    this.stopWatches();
  }

  stopWatches(): void {
    for (const w of this.#all) w.stop();
  }

  /** One AlpacaForwarder from the cache. */
  forwarder(namespace: string, name: string): AlpacaForwarder | undefined {
    const key = resourceKey(namespace, name);
    for (const w of this.#forwarders) {
      const af = w.get(key);
      if (af) return af;
    }
    return undefined;
  }

  /** One owned child (by kind and name) from the cache. */
  child(kind: string, namespace: string, name: string): KubernetesObject | undefined {
    const key = resourceKey(namespace, name);
    for (const w of this.#owned.get(kind) ?? []) {
      const o = w.get(key);
      if (o) return o;
    }
    return undefined;
  }

  /** resourceVersion of a Secret in the (metadata-only) cache. */
  secretVersion(namespace: string, name: string): string | undefined {
    const key = resourceKey(namespace, name);
    for (const w of this.#secrets) {
      const s = w.get(key);
      if (s) return s.metadata?.resourceVersion;
    }
    return undefined;
  }

  forwarders(): AlpacaForwarder[] {
    return this.#forwarders.flatMap((w) => w.list());
  }

  /** Forwarder pods of one resource, from the cache. */
  podsOf(namespace: string, name: string): V1Pod[] {
    return this.#podsByOwner.get(resourceKey(namespace, name));
  }
}

/**
 * Drops what the operator never reads from every cached object: managedFields (often the largest
 * part of an object) and kubectl's last-applied-configuration copy of it.
 */
export function stripUnread<T extends KubernetesObject>(obj: T): T {
  const m = obj.metadata;
  if (!m) return obj;
  const { managedFields: _mf, ...metadata } = m;
  const annotations = m.annotations;
  if (annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _la, ...rest } = annotations;
    metadata.annotations = rest;
  }
  return { ...obj, metadata };
}

/** A forwarder pod as the operator reads it: identity, labels, phase and IP (no spec). */
export function slimPod(p: V1Pod): V1Pod {
  const m = p.metadata ?? {};
  return {
    apiVersion: p.apiVersion,
    kind: p.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      labels: m.labels,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
    },
    status: { phase: p.status?.phase, podIP: p.status?.podIP },
  };
}
