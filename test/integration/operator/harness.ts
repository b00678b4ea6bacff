/**
 * Test harness for running the operator in-process against the real control plane: a loopback
 * /readyz stand-in per resource, a clock the test can move forward, a minimal kubelet stand-in
 * (marks forwarder pods Running on 127.0.0.1), a log capture, and waits on reconciles and objects
 * driven by events, never by sleeping.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import type { ReadinessBody } from '../../../contracts/readiness.ts';
import { FIELD_MANAGER, STATUS_FIELD_MANAGER } from '../../../operator/api/types.ts';
import { loadConfig } from '../../../operator/controller/config.ts';
import { HttpReadinessProbe } from '../../../operator/controller/probe.ts';
import type { ReconcileReport } from '../../../operator/controller/reconcile.ts';
import { type RunningOperator, startOperator } from '../../../operator/controller/runtime.ts';
import { APP_NAME, LABEL_NAME } from '../../../operator/desired/names.ts';
import { KubeClient } from '../../../operator/kube/client.ts';
import { ListWatcher } from '../../../operator/kube/list-watcher.ts';
import { POD } from '../../../operator/kube/resources.ts';
import { type Cancel, realTimers, type Timers } from '../../../operator/kube/timers.ts';
import { applyFile, createTestNamespace, waitForCrdEstablished } from '../../infra/kube/index.ts';
import { clientConfigOf } from '../../support/kube-client-config.ts';
import { failingBody, readyBody } from '../../support/readiness-bodies.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CRD_FILE = path.join(root, 'crds/alpacaforwarders.torghut.io.yaml');

/** Applies the project's CRD (idempotent across concurrent test files) and waits until it is Established. */
export async function installCrd(kubeconfigPath: string, kc: KubeConfig): Promise<void> {
  await applyFile(kubeconfigPath, CRD_FILE);
  await waitForCrdEstablished(kc, 'alpacaforwarders.torghut.io');
}

export { failingBody, readyBody };

export interface StubRequest {
  namespace: string;
  name: string;
  podIP: string;
}

/**
 * Loopback stand-in for the forwarders' /readyz: GET /<namespace>/<name>/<podIP>/readyz answers
 * what the test set for that resource, and records which pod was asked.
 */
export class ReadyzStub {
  readonly #answers = new Map<string, ReadinessBody>();
  readonly #waiters: Array<{ match: (r: StubRequest) => boolean; resolve: () => void }> = [];
  #server: Server | undefined;
  #port = 0;
  readonly requests: StubRequest[] = [];

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const m = /^\/([^/]+)\/([^/]+)\/([^/]+)\/readyz$/.exec(req.url ?? '');
      if (m) {
        const r = { namespace: m[1] ?? '', name: m[2] ?? '', podIP: m[3] ?? '' };
        this.requests.push(r);
        for (const w of [...this.#waiters]) {
          if (w.match(r)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      }
      const body = m ? this.#answers.get(`${m[1]}/${m[2]}`) : undefined;
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(body.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => this.#server?.listen(0, '127.0.0.1', r));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  set(namespace: string, name: string, body: ReadinessBody): void {
    this.#answers.set(`${namespace}/${name}`, body);
  }

  /** Resolves when a matching request arrives (or has arrived). */
  waitForRequest(match: (r: StubRequest) => boolean, timeoutMs = 60_000): Promise<void> {
    if (this.requests.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a /readyz request')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  probe(): HttpReadinessProbe {
    return new HttpReadinessProbe({
      resolveUrl: (t) =>
        t.podIP ? `http://127.0.0.1:${this.#port}/${t.namespace}/${t.name}/${t.podIP}/readyz` : undefined,
      timeoutMs: 30_000,
    });
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((r) => this.#server?.close(r));
  }
}

/** Real timers, with a wall clock the test can move forward (stuckAfterSeconds, cooldowns). */
export class OffsetTimers implements Timers {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  after(ms: number, fn: () => void): Cancel {
    return realTimers.after(ms, fn);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/**
 * A kubelet stand-in for a control plane without nodes: every forwarder pod in the namespace is
 * reported Running with its own loopback IP (127.0.0.2, .3, ...; the probe stub answers for it
 * and records which pod was asked).
 */
export function fakeKubelet(kc: KubeConfig, namespace: string): { stop(): void } {
  const core = kc.makeApiClient(CoreV1Api);
  const client = new KubeClient(clientConfigOf(kc), { apply: 'fake-kubelet', status: 'fake-kubelet' });
  const marked = new Set<string>();
  let nextIp = 2;
  const mark = (pod: V1Pod) => {
    const name = pod.metadata?.name;
    if (!name || pod.metadata?.deletionTimestamp || pod.status?.phase === 'Running' || marked.has(name))
      return;
    marked.add(name);
    const now = new Date().toISOString();
    const ip = `127.0.0.${nextIp}`;
    nextIp = nextIp >= 254 ? 2 : nextIp + 1;
    core
      .patchNamespacedPodStatus(
        {
          namespace,
          name,
          body: {
            status: {
              phase: 'Running',
              podIP: ip,
              podIPs: [{ ip }],
              startTime: now,
              conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch((err: unknown) => {
        process.stderr.write(`fake kubelet: ${String((err as Error).message ?? err).slice(0, 500)}\n`);
        marked.delete(name);
      });
  };
  const lw = new ListWatcher<V1Pod>(
    client.watchSource<V1Pod>(
      POD,
      { namespace, labelSelector: `${LABEL_NAME}=${APP_NAME}` },
      { timeoutSeconds: 60, inactivityMs: 120_000 },
    ),
    { onUpsert: mark, onDelete: () => {} },
    { name: 'fake-kubelet', backoffBaseMs: 100, backoffMaxMs: 1000 },
  );
  lw.start();
  return { stop: () => lw.stop() };
}

/** Every reconcile report, with a wait for the first one that matches. */

export class ReconcileLog {
  readonly reports: ReconcileReport[] = [];
  #waiters: Array<{ match: (r: ReconcileReport) => boolean; resolve: (r: ReconcileReport) => void }> = [];

  add = (r: ReconcileReport): void => {
    this.reports.push(r);
    for (const w of [...this.#waiters]) {
      if (w.match(r)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  };

  /** Resolves on the next (future) report that matches. */
  next(match: (r: ReconcileReport) => boolean, timeoutMs = 60_000): Promise<ReconcileReport> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a reconcile')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }
}

/** Captures every log line the operator writes, with a wait for the first one that matches. */
export class LogCapture {
  readonly lines: string[] = [];
  #waiters: Array<{ match: (line: string) => boolean; resolve: () => void }> = [];
  readonly stream = new Writable({
    write: (chunk, _enc, cb) => {
      const line = String(chunk);
      this.lines.push(line);
      for (const w of [...this.#waiters]) {
        if (w.match(line)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      cb();
    },
  });

  /** Resolves when a matching line has been logged (or already was). */
  waitForLine(match: (line: string) => boolean, timeoutMs = 60_000): Promise<void> {
    if (this.lines.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for an operator log line')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }
}

export interface TestOperatorOptions {
  kc: KubeConfig;
  namespaces: string[];
  stub: ReadyzStub;
  timers?: Timers;
  logs?: LogCapture;
  reconciles?: ReconcileLog;
  env?: Record<string, string>;
}

/** The operator in-process, configured through the same env parsing as main.ts. */
export function startTestOperator(o: TestOperatorOptions): Promise<RunningOperator> {
  const config = loadConfig({
    WATCH_NAMESPACES: o.namespaces.join(','),
    OPERATOR_NAMESPACE: o.namespaces[0] ?? 'default',
    FORWARDER_IMAGE: 'alpaca-forwarder:test',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LEADER_ELECTION: 'false',
    PROBE_INTERVAL_NOT_READY_SECONDS: '2',
    PROBE_INTERVAL_READY_SECONDS: '5',
    LOG_LEVEL: 'debug',
    ...o.env,
  });
  const logger = pino({ level: 'debug' }, o.logs?.stream ?? new Writable({ write: (_c, _e, cb) => cb() }));
  return startOperator({
    config,
    kubeConfig: clientConfigOf(o.kc),
    logger,
    probe: o.stub.probe(),
    timers: o.timers,
    queueBackoffBaseMs: 200,
    queueBackoffMaxMs: 2000,
    watchBackoffBaseMs: 200,
    watchBackoffMaxMs: 2000,
    onReconciled: o.reconciles?.add,
  });
}

export interface OperatorInNamespace {
  kc: KubeConfig;
  ns: string;
  op: RunningOperator;
  /** Stops the operator, the kubelet stand-in (if any) and the /readyz stub. */
  stop(): Promise<void>;
}

/**
 * The common setup of a test file: the CRD, a fresh namespace, the /readyz stub, optionally the
 * kubelet stand-in, and the operator watching that namespace.
 */
export async function startOperatorInNamespace(
  plane: { kubeConfig(): KubeConfig; kubeconfigPath: string },
  prefix: string,
  o: Omit<TestOperatorOptions, 'kc' | 'namespaces'> & {
    kubelet?: boolean;
    /** The kubeconfig the operator itself uses (e.g. through a counting proxy); default the test's. */
    operatorKubeConfig?: (kc: KubeConfig) => KubeConfig;
  },
): Promise<OperatorInNamespace> {
  const kc = plane.kubeConfig();
  await installCrd(plane.kubeconfigPath, kc);
  const ns = await createTestNamespace(kc, prefix);
  await o.stub.start();
  const kubelet = o.kubelet ? fakeKubelet(kc, ns) : undefined;
  const { kubelet: _k, operatorKubeConfig, ...opts } = o;
  const op = await startTestOperator({
    ...opts,
    kc: operatorKubeConfig ? operatorKubeConfig(kc) : kc,
    namespaces: [ns],
  });
  return {
    kc,
    ns,
    op,
    stop: async () => {
      await op.stop();
      kubelet?.stop();
      await o.stub.stop();
    },
  };
}

export { FIELD_MANAGER, STATUS_FIELD_MANAGER };

/** Touches an annotation of the resource (a watch event → a reconcile); returns the new resourceVersion. */
export async function poke(kc: KubeConfig, namespace: string, name: string): Promise<string> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const res: KubernetesObject = await objects.patch<KubernetesObject>(
    {
      apiVersion: 'torghut.io/v1alpha1',
      kind: 'AlpacaForwarder',
      metadata: { name, namespace, annotations: { 'test.torghut.io/poke': String(pokes++) } },
    },
    undefined,
    undefined,
    'test-poke',
    undefined,
    PatchStrategy.MergePatch,
  );
  return res.metadata?.resourceVersion ?? '';
}
let pokes = 0;

/** Whether a reconcile report read the resource at or after resourceVersion rv (etcd revisions are integers). */
export function readAtLeast(r: ReconcileReport, key: string, rv: string): boolean {
  return r.key === key && r.resourceVersion !== undefined && BigInt(r.resourceVersion) >= BigInt(rv);
}
