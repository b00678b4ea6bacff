/**
 * What the benchmark watches in its namespace (its own client, not through the operator's proxy):
 * AlpacaForwarders, the operator's Deployments and the forwarder pods, with waits on counts that
 * resolve from watch events. Also the kubelet stand-in: every forwarder pod is reported Running
 * with an address in TEST-NET-1 (192.0.2.0/24, RFC 5737), which nothing answers, so every probe fails.
 */
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../../operator/api/types.ts';
import { APP_NAME, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../../operator/desired/names.ts';
import { KubeClient } from '../../operator/kube/client.ts';
import { ListWatcher } from '../../operator/kube/list-watcher.ts';
import { ALPACA_FORWARDER, DEPLOYMENT, POD, type ResourceType } from '../../operator/kube/resources.ts';
import { clientConfigOf } from '../../test/support/kube-client-config.ts';

type Check = () => boolean;

export class ClusterView {
  readonly forwarders: ListWatcher<AlpacaForwarder & KubernetesObject>;
  readonly deployments: ListWatcher<V1Deployment>;
  readonly pods: ListWatcher<V1Pod>;
  readonly #waiters = new Set<{ check: Check; resolve: () => void }>();
  readonly #client: KubeClient;
  readonly #core: CoreV1Api;
  readonly #marked = new Set<string>();
  #nextIp = 0;
  podPatches = 0;

  constructor(kc: KubeConfig, namespace: string) {
    this.#client = new KubeClient(clientConfigOf(kc), { apply: 'bench', status: 'bench' });
    this.#core = kc.makeApiClient(CoreV1Api);
    const watch = <T extends KubernetesObject>(
      rt: ResourceType,
      labelSelector?: string,
      onUpsert?: (o: T) => void,
    ) =>
      new ListWatcher<T>(
        this.#client.watchSource<T>(
          rt,
          { namespace, labelSelector },
          { timeoutSeconds: 290, inactivityMs: 150_000 },
        ),
        {
          onUpsert: (o) => {
            onUpsert?.(o);
            this.#poke();
          },
          onDelete: () => this.#poke(),
        },
        { name: `bench-${rt.plural}` },
      );
    this.forwarders = watch(ALPACA_FORWARDER);
    this.deployments = watch(DEPLOYMENT, `${LABEL_MANAGED_BY}=${MANAGED_BY}`);
    this.pods = watch<V1Pod>(POD, `${LABEL_NAME}=${APP_NAME}`, (p) => this.#markRunning(namespace, p));
  }

  async start(): Promise<void> {
    for (const w of [this.forwarders, this.deployments, this.pods]) w.start();
    await Promise.all([this.forwarders, this.deployments, this.pods].map((w) => w.waitForSync()));
  }

  stop(): Promise<void> {
    for (const w of [this.forwarders, this.deployments, this.pods]) w.stop();
    return this.#client.close();
  }

  /** Resolves once check() holds, re-checked on every watch event. */
  until(check: Check): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ check, resolve }));
  }

  #poke(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  #markRunning(namespace: string, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (!name || pod.metadata?.deletionTimestamp || pod.status?.phase === 'Running' || this.#marked.has(name))
      return;
    this.#marked.add(name);
    const n = this.#nextIp++;
    const ip = `192.0.2.${(n % 254) + 1}`;
    const now = new Date().toISOString();
    this.podPatches++;
    this.#core
      .patchNamespacedPodStatus(
        {
          namespace,
          name,
          body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], startTime: now } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch(() => this.#marked.delete(name));
  }
}
