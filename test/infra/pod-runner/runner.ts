/**
 * A kubelet stand-in for a control plane with no nodes: binds the pods that match a label
 * selector to one pretend node, runs each pod's first container as a local process (see
 * pod-process.ts), reports phase/readiness/restarts in the pod status so the Deployment and
 * ReplicaSet controllers see real rollouts, keeps configMap volumes in sync with the atomic
 * `..data` swap, gives each pod its ServiceAccount's credentials (TokenRequest token, CA and
 * namespace at /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT; see
 * service-account.ts), and on pod deletion stops the process (SIGTERM, grace period) before removing
 * the pod. Recreate rollouts therefore never run two forwarders at once, as on a real node.
 *
 * It polls the API server (a few requests per interval); it is test and demo infrastructure.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';
import { freePort } from './free-port.ts';
import { type LocalCommand, PodConfigError, planProcess, type ResolvedRefs } from './pod-process.ts';
import { PodProcessHandle } from './pod-process-handle.ts';
import { ServiceAccountTokens } from './service-account.ts';

export const HOST_PORTS_ANNOTATION = 'local-runner.torghut.io/host-ports';

export interface PodRunnerOptions {
  kubeConfig: KubeConfig;
  labelSelector: string;
  workDir: string;
  commandForImage(image: string): LocalCommand;
  nodeName?: string;
  pollIntervalMs?: number;
  /** Each line a container prints, prefixed by namespace/pod. */
  onContainerLine?: (pod: string, line: string) => void;
  onError?: (err: unknown) => void;
}

export interface RunningPod {
  namespace: string;
  name: string;
  uid: string;
  pid: number | undefined;
  ready: boolean;
  restartCount: number;
  hostPorts: Map<number, number>;
  labels: Record<string, string>;
  logPath: string;
}

interface Tracked {
  handle: PodProcessHandle;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  reportedReady: boolean | undefined;
  reportedRestarts: number;
}

export class PodRunner {
  private readonly api: CoreV1Api;
  private readonly tokens: ServiceAccountTokens;
  private readonly opts: Required<Omit<PodRunnerOptions, 'onContainerLine' | 'onError'>> &
    Pick<PodRunnerOptions, 'onContainerLine' | 'onError'>;
  private readonly tracked = new Map<string, Tracked>();
  private readonly deleting = new Set<string>();
  private readonly configErrors = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private dirty = false;

  constructor(options: PodRunnerOptions) {
    this.api = options.kubeConfig.makeApiClient(CoreV1Api);
    this.tokens = new ServiceAccountTokens(options.kubeConfig);
    this.opts = { nodeName: 'local-runner', pollIntervalMs: 300, ...options };
  }

  async start(): Promise<void> {
    await mkdir(this.opts.workDir, { recursive: true });
    await this.ensureNode();
    this.schedule(0);
  }

  pods(): RunningPod[] {
    return [...this.tracked.entries()].map(([uid, t]) => ({
      namespace: t.namespace,
      name: t.name,
      uid,
      pid: t.handle.pid,
      ready: t.handle.ready,
      restartCount: t.handle.restartCount,
      hostPorts: t.handle.plan.ports,
      labels: t.labels,
      logPath: t.handle.logPath,
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.tracked.values()].map((t) => t.handle.stop()));
    for (const uid of this.tracked.keys()) this.tokens.forget(uid);
    this.tracked.clear();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.opts.onError?.(err))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.dirty ? 0 : this.opts.pollIntervalMs);
          this.dirty = false;
        });
    }, delay);
  }

  private async ensureNode(): Promise<void> {
    try {
      await this.api.createNode({
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: this.opts.nodeName, labels: { 'kubernetes.io/hostname': this.opts.nodeName } },
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  private async tick(): Promise<void> {
    const list = await this.api.listPodForAllNamespaces({ labelSelector: this.opts.labelSelector });
    const seen = new Set<string>();
    for (const pod of list.items) {
      const uid = pod.metadata?.uid;
      if (uid === undefined) continue;
      seen.add(uid);
      try {
        await this.syncPod(pod, uid);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
    for (const [uid, t] of this.tracked) {
      if (!seen.has(uid)) {
        this.tracked.delete(uid);
        this.tokens.forget(uid);
        await t.handle.stop();
      }
    }
  }

  private async syncPod(pod: V1Pod, uid: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp) {
      if (this.deleting.has(uid)) return;
      this.deleting.add(uid);
      const t = this.tracked.get(uid);
      void (async () => {
        try {
          if (t) await t.handle.stop();
          this.tracked.delete(uid);
          this.tokens.forget(uid);
          await this.api
            .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })
            .catch((err: unknown) => {
              if ((err as { code?: number }).code !== 404) throw err;
            });
        } catch (err) {
          this.opts.onError?.(err);
        } finally {
          this.deleting.delete(uid);
          this.dirty = true;
        }
      })();
      return;
    }
    if (!pod.spec?.nodeName) {
      await this.api.createNamespacedPodBinding({
        name,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: this.opts.nodeName },
        },
      });
      this.dirty = true;
      return;
    }
    if (pod.spec.nodeName !== this.opts.nodeName) return;

    let t = this.tracked.get(uid);
    if (t === undefined) {
      const podDir = path.join(this.opts.workDir, namespace, `${name}-${uid.slice(0, 8)}`);
      const ports = new Map<number, number>();
      for (const c of pod.spec.containers[0]?.ports ?? []) ports.set(c.containerPort, await freePort());
      let plan: ReturnType<typeof planProcess>;
      try {
        plan = planProcess({
          pod,
          refs: await this.resolveRefs(pod, namespace),
          podDir,
          commandForImage: this.opts.commandForImage,
          hostPortFor: (p) => ports.get(p) ?? p,
          apiServer: this.tokens.apiServer,
        });
      } catch (err) {
        if (err instanceof PodConfigError) {
          await this.reportConfigError(pod, uid, err.message);
          return;
        }
        throw err;
      }
      this.configErrors.delete(uid);
      const onLine = this.opts.onContainerLine;
      const handle = new PodProcessHandle(
        plan,
        podDir,
        () => {
          this.dirty = true;
        },
        onLine ? (line) => onLine(`${namespace}/${name}`, line) : undefined,
      );
      t = {
        handle,
        namespace,
        name,
        labels: { ...(pod.metadata?.labels ?? {}) },
        reportedReady: undefined,
        reportedRestarts: -1,
      };
      this.tracked.set(uid, t);
      await handle.start();
      await this.api.patchNamespacedPod(
        {
          name,
          namespace,
          body: {
            metadata: {
              annotations: { [HOST_PORTS_ANNOTATION]: JSON.stringify(Object.fromEntries(plan.ports)) },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } else {
      // The kubelet's periodic volume sync: ConfigMap/Secret changes and token refreshes.
      try {
        const fresh = planProcess({
          pod,
          refs: await this.resolveRefs(pod, namespace),
          podDir: path.dirname(t.handle.logPath),
          commandForImage: this.opts.commandForImage,
          hostPortFor: (p) => t?.handle.plan.ports.get(p) ?? p,
          apiServer: this.tokens.apiServer,
        });
        await t.handle.syncVolumes(fresh.volumes);
      } catch (err) {
        if (!(err instanceof PodConfigError)) this.opts.onError?.(err);
      }
    }

    const ready = await t.handle.probeReady();
    t.handle.ready = ready;
    if (ready !== t.reportedReady || t.handle.restartCount !== t.reportedRestarts) {
      await this.reportStatus(pod, t, ready);
      t.reportedReady = ready;
      t.reportedRestarts = t.handle.restartCount;
    }
  }

  private async resolveRefs(pod: V1Pod, namespace: string): Promise<ResolvedRefs> {
    const secretNames = new Set<string>();
    const configMapNames = new Set<string>();
    for (const c of pod.spec?.containers ?? []) {
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef?.name) secretNames.add(e.valueFrom.secretKeyRef.name);
        if (e.valueFrom?.configMapKeyRef?.name) configMapNames.add(e.valueFrom.configMapKeyRef.name);
      }
    }
    for (const v of pod.spec?.volumes ?? []) {
      if (v.secret?.secretName) secretNames.add(v.secret.secretName);
      if (v.configMap?.name) configMapNames.add(v.configMap.name);
    }
    const secrets = new Map<string, Record<string, string>>();
    for (const name of secretNames) {
      try {
        const s = await this.api.readNamespacedSecret({ name, namespace });
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.data ?? {}))
          data[k] = Buffer.from(v, 'base64').toString('utf8');
        for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = v;
        secrets.set(name, data);
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
    }
    const configMaps = new Map<string, Record<string, string>>();
    for (const name of configMapNames) {
      try {
        const cm = await this.api.readNamespacedConfigMap({ name, namespace });
        configMaps.set(name, { ...(cm.data ?? {}) });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
      }
    }
    const serviceAccount = await this.tokens.filesFor(pod);
    return { secrets, configMaps, ...(serviceAccount ? { serviceAccount } : {}) };
  }

  private async reportConfigError(pod: V1Pod, uid: string, message: string): Promise<void> {
    if (this.configErrors.get(uid) === message) return;
    this.configErrors.set(uid, message);
    const name = pod.spec?.containers[0]?.name ?? 'main';
    await this.patchStatus(pod, {
      phase: 'Pending',
      containerStatuses: [
        {
          name,
          image: pod.spec?.containers[0]?.image ?? '',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'CreateContainerConfigError', message } },
        },
      ],
    });
  }

  private async reportStatus(pod: V1Pod, t: Tracked, ready: boolean): Promise<void> {
    const now = new Date();
    const container = pod.spec?.containers[0];
    const running = t.handle.running;
    const cond = (type: string, status: boolean): V1PodCondition => {
      const prev = pod.status?.conditions?.find((c) => c.type === type);
      const value = status ? 'True' : 'False';
      return {
        type,
        status: value,
        lastTransitionTime: prev?.status === value && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      };
    };
    await this.patchStatus(pod, {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime: t.handle.startedAt,
      conditions: [
        cond('PodScheduled', true),
        cond('Initialized', true),
        cond('ContainersReady', ready),
        cond('Ready', ready),
      ],
      containerStatuses: [
        {
          name: container?.name ?? 'main',
          image: container?.image ?? '',
          imageID: '',
          ready,
          started: running,
          restartCount: t.handle.restartCount,
          state: running
            ? { running: { startedAt: t.handle.startedAt } }
            : {
                waiting: { reason: 'CrashLoopBackOff', message: 'container exited; restarting with backoff' },
              },
          ...(t.handle.lastExit
            ? {
                lastState: {
                  terminated: {
                    exitCode: t.handle.lastExit.code ?? 137,
                    ...(t.handle.lastExit.signal ? { signal: 0, reason: t.handle.lastExit.signal } : {}),
                    finishedAt: t.handle.lastExit.at,
                  },
                },
              }
            : {}),
        },
      ],
    });
  }

  private async patchStatus(pod: V1Pod, status: NonNullable<V1Pod['status']>): Promise<void> {
    await this.api.patchNamespacedPodStatus(
      { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}
