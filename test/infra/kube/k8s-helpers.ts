/**
 * Small helpers for tests against a test control plane: a unique namespace per test, kubectl with
 * the test kubeconfig (apply a YAML file server-side), and waiting for a condition by listing then
 * watching (never by sleeping), re-listing if the watch drops.
 */
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Watch,
} from '@kubernetes/client-node';
import { runCommand } from './run-command.ts';

/** Creates a namespace named `<prefix>-<random>` and returns its name. */
export async function createTestNamespace(kc: KubeConfig, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Runs kubectl against the control plane behind `kubeconfigPath`; rejects with kubectl's stderr. */
export function kubectl(kubeconfigPath: string, args: readonly string[]): Promise<string> {
  return runCommand('kubectl', [`--kubeconfig=${kubeconfigPath}`, ...args]);
}

/** `kubectl apply --server-side` of a YAML file (optionally into a namespace). */
export function applyFile(kubeconfigPath: string, file: string, namespace?: string): Promise<string> {
  const ns = namespace ? [`--namespace=${namespace}`] : [];
  return kubectl(kubeconfigPath, [
    'apply',
    '--server-side',
    '--field-manager=integration-test',
    ...ns,
    '-f',
    file,
  ]);
}

export interface WatchTarget {
  /** e.g. `v1`, `apps/v1`, `example.com/v1`. */
  apiVersion: string;
  kind: string;
  /** Lower-case plural resource name, e.g. `replicasets`. */
  plural: string;
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
}

export function collectionPath(t: Pick<WatchTarget, 'apiVersion' | 'plural' | 'namespace'>): string {
  const base = t.apiVersion.includes('/') ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  return `${base}${t.namespace ? `/namespaces/${t.namespace}` : ''}/${t.plural}`;
}

export interface WaitOptions {
  /** Safety net only; the wait ends on the event that satisfies `check`. */
  timeoutMs?: number;
  /** What is awaited, for the timeout error. */
  what?: string;
}

function key(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/**
 * Resolves with the first non-undefined result of `check` over the current set of matching objects,
 * re-evaluated after the initial list and after every watch event.
 */
export function waitFor<T extends KubernetesObject, R>(
  kc: KubeConfig,
  target: WatchTarget,
  check: (items: readonly T[]) => R | undefined,
  options: WaitOptions = {},
): Promise<R> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const what = options.what ?? `${target.kind} in ${collectionPath(target)}`;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const watch = new Watch(kc);
  const items = new Map<string, T>();
  let lastError = '';
  let finished = false;
  let controller: AbortController | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  return new Promise<R>((resolve, reject) => {
    const finish = (err: Error | undefined, value?: R) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(retryTimer);
      controller?.abort();
      if (err) reject(err);
      else resolve(value as R);
    };
    const timer = setTimeout(() => {
      const seen = [...items.keys()].join(', ') || 'none';
      finish(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; objects seen: ${seen}${lastError ? `; last error: ${lastError}` : ''}`,
        ),
      );
    }, timeoutMs);
    const evaluate = () => {
      try {
        const result = check([...items.values()]);
        if (result !== undefined) finish(undefined, result);
      } catch (err) {
        finish(err as Error);
      }
    };
    const retry = () => {
      if (!finished) retryTimer = setTimeout(cycle, 250);
    };
    const cycle = async () => {
      if (finished) return;
      try {
        const list = await objects.list<T>(
          target.apiVersion,
          target.kind,
          target.namespace,
          undefined,
          undefined,
          undefined,
          target.fieldSelector,
          target.labelSelector,
        );
        items.clear();
        for (const item of list.items) items.set(key(item), item);
        evaluate();
        if (finished) return;
        const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
        if (list.metadata?.resourceVersion) query.resourceVersion = list.metadata.resourceVersion;
        if (target.fieldSelector) query.fieldSelector = target.fieldSelector;
        if (target.labelSelector) query.labelSelector = target.labelSelector;
        controller = await watch.watch(
          collectionPath(target),
          query,
          (type: string, obj: T) => {
            if (type === 'ADDED' || type === 'MODIFIED') items.set(key(obj), obj);
            else if (type === 'DELETED') items.delete(key(obj));
            else return;
            evaluate();
          },
          (err: unknown) => {
            if (err) lastError = String((err as Error).message ?? err);
            retry();
          },
        );
      } catch (err) {
        lastError = String((err as Error).message ?? err);
        retry();
      }
    };
    void cycle();
  });
}

/**
 * Resolves once the CustomResourceDefinition `name` is Established=True, i.e. its resource is
 * served. Watch-driven (list, then watch, re-listing if the watch drops), so a CRD that has no
 * conditions yet simply is "not yet". `kubectl wait --for=condition=Established` is not used for
 * this: on a CRD created a moment ago it fails with `.status.conditions accessor error: <nil>`.
 */
export function waitForCrdEstablished(
  kc: KubeConfig,
  name: string,
  options: WaitOptions = {},
): Promise<void> {
  return waitFor<KubernetesObject & { status?: { conditions?: { type?: string; status?: string }[] } }, true>(
    kc,
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      fieldSelector: `metadata.name=${name}`,
    },
    (items) =>
      items.some(
        (crd) =>
          crd.metadata?.name === name &&
          crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
      )
        ? true
        : undefined,
    { what: `the CustomResourceDefinition ${name} to be Established`, ...options },
  ).then(() => undefined);
}
