/**
 * Operator at scale (not part of npm test): the real control plane (etcd + kube-apiserver +
 * kube-controller-manager), the operator built with `npm run build` and run as its image runs it
 * (the node arguments of Dockerfile.operator's ENTRYPOINT, leader election on), talking to the API
 * server through a counting TCP proxy. Creates N AlpacaForwarders, each with its own Secret, and
 * measures:
 *   1. time until every resource has its children (its Deployment, applied last) and a status
 *      with observedGeneration current; operator CPU meanwhile;
 *   2. steady state with N not-ready resources (a kubelet stand-in reports every pod Running at
 *      an address nothing answers, so every probe fails): reconciles/s, API requests/s by verb
 *      and resource (kube-apiserver's apiserver_request_total; every client, the benchmark's
 *      watches are idle), queue depth and waiting probes sampled each second, operator CPU;
 *   3. deleting every resource: time until garbage collection removed every Deployment and pod.
 * Over the whole run: connections opened to the API server, peak open, operator peak RSS (VmHWM).
 *   node bench/operator/main.ts [--resources 1000] [--steady-seconds 60] [--concurrency 16]
 *     [--kcm-qps 200] [--no-build]
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import {
  applyFile,
  startCountingProxy,
  startPrivateControlPlane,
  waitFor,
} from '../../test/infra/kube/index.ts';
import { freePort } from '../../test/infra/kube/ports.ts';
import { machineLoad, readProcStats } from '../forwarder/proc-stats.ts';
import { sumMetric } from '../forwarder/prom-text.ts';
import { ClusterView } from './cluster-view.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    resources: { type: 'string', default: '1000' },
    'steady-seconds': { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '16' },
    'kcm-qps': { type: 'string', default: '200' },
    'no-build': { type: 'boolean', default: false },
    /** Replaces the image's node arguments before the script (e.g. to compare V8 heap flags). */
    'node-args': { type: 'string' },
  },
});
const int = (name: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
};
const N = int('resources', args.resources);
const STEADY_S = int('steady-seconds', args['steady-seconds']);
const CONCURRENCY = int('concurrency', args.concurrency);
const KCM_QPS = int('kcm-qps', args['kcm-qps']);
const NS = 'bench';
const OP_NS = 'bench-system';
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

/** kube-apiserver /metrics with the admin client certificate of the kubeconfig. */
async function apiserverMetrics(kc: KubeConfig): Promise<string> {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const [ca, cert, key] = await Promise.all(
    [cluster?.caFile, user?.certFile, user?.keyFile].map((f) => readFile(f ?? '')),
  );
  const url = new URL('/metrics', cluster?.server);
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, cert, key }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** apiserver_request_total by "VERB resource[/subresource]". */
function requestsBy(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const get = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(labels)?.[1] ?? '';
    const name = `${get('verb')} ${get('resource')}${get('subresource') ? `/${get('subresource')}` : ''}`;
    out.set(name, (out.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

function delta(a: Map<string, number>, b: Map<string, number>): Array<[string, number]> {
  return [...b]
    .map(([k, v]) => [k, v - (a.get(k) ?? 0)] as [string, number])
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1]);
}

/** The node arguments of Dockerfile.operator's ENTRYPOINT (the benchmark runs what the image runs). */
async function imageNodeArgs(): Promise<string[]> {
  const text = await readFile(path.join(root, 'Dockerfile.operator'), 'utf8');
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text);
  const argv = m ? (JSON.parse(m[1] ?? '[]') as string[]) : [];
  if (argv.length < 2) throw new Error('cannot read the ENTRYPOINT of Dockerfile.operator');
  return argv.slice(1);
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const load0 = machineLoad();
  log(`machine: ${load0.cores} cores, load ${load0.load1} / ${load0.load5} (1 / 5 min)`);
  if (!args['no-build']) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const plane = await startPrivateControlPlane({ log, controllerManagerQps: KCM_QPS });
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-operator-'));
  let operator: ReturnType<typeof spawn> | undefined;
  let view: ClusterView | undefined;
  const proxy = await startCountingProxy(plane.server);
  try {
    const kc = plane.kubeConfig();
    await applyFile(plane.kubeconfigPath, path.join(root, 'crds/alpacaforwarders.torghut.io.yaml'));
    await waitFor<V1CustomResourceDefinition, true>(
      kc,
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        plural: 'customresourcedefinitions',
        fieldSelector: 'metadata.name=alpacaforwarders.torghut.io',
      },
      (items) =>
        items.some((c) => c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'))
          ? true
          : undefined,
      { what: 'the CRD Established' },
    );
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of [NS, OP_NS]) await core.createNamespace({ body: { metadata: { name } } });
    view = new ClusterView(kc, NS);
    await view.start();

    const opKubeconfig = path.join(work, 'operator-kubeconfig.json');
    await writeFile(opKubeconfig, proxy.kubeConfig(kc).exportConfig(), { mode: 0o600 });
    const httpPort = await freePort();
    const opLog = path.join(work, 'operator.log');
    const { openSync } = await import('node:fs');
    const out = openSync(opLog, 'w');
    const nodeArgs =
      args['node-args'] === undefined
        ? await imageNodeArgs()
        : [...args['node-args'].split(' ').filter(Boolean), 'dist/operator/main.js'];
    log(`operator: node ${nodeArgs.join(' ')}`);
    operator = spawn(process.execPath, nodeArgs, {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: opKubeconfig,
        WATCH_NAMESPACES: NS,
        OPERATOR_NAMESPACE: OP_NS,
        POD_NAME: 'bench-operator',
        FORWARDER_IMAGE: 'alpaca-forwarder:bench',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
      },
      stdio: ['ignore', out, out],
    });
    const pid = operator.pid ?? 0;
    const opMetrics = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined);
      if (
        (r?.status === 200 && ((await r.json()) as { role?: string }).role === 'leader') ||
        operator.exitCode !== null
      )
        break;
      await sleep(200);
    }
    if (operator.exitCode !== null)
      throw new Error(`the operator exited (${operator.exitCode}); see ${opLog}`);
    log(`operator pid ${pid} leading; log ${opLog}`);

    // 1. Create N resources, each with its own Secret.
    const custom = kc.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: N }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
    const apiStart = requestsBy(await apiserverMetrics(kc));
    const cpu0 = readProcStats(pid).cpuMs;
    const t0 = performance.now();
    await pool(names, CONCURRENCY, async (name) => {
      await core.createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: `${name}-creds` },
          stringData: { APCA_API_KEY_ID: `PKBENCH${name}`, APCA_API_SECRET_KEY: `sk-${name}` },
        },
      });
      await custom.createNamespacedCustomObject({
        group: 'torghut.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'alpacaforwarders',
        body: {
          apiVersion: 'torghut.io/v1alpha1',
          kind: 'AlpacaForwarder',
          metadata: { name },
          spec: {
            feed: 'iex',
            symbols: ['AAPL', 'MSFT'],
            credentialsSecretRef: { name: `${name}-creds` },
            kafka: { bootstrapServers: ['kafka-bootstrap.kafka.svc:9092'], securityProtocol: 'PLAINTEXT' },
          },
        },
      });
    });
    const created = performance.now();
    log(`created ${N} resources + Secrets in ${((created - t0) / 1000).toFixed(1)} s`);
    const observed = () =>
      view?.forwarders.list().filter((a) => a.status?.observedGeneration === a.metadata.generation).length ??
      0;
    await view.until(() => observed() === N && (view?.deployments.list().length ?? 0) === N);
    const t1 = performance.now();
    const cpu1 = readProcStats(pid).cpuMs;
    const firstPass = delta(apiStart, requestsBy(await apiserverMetrics(kc)));
    log(
      `all ${N} reconciled (children + observedGeneration) ${((t1 - t0) / 1000).toFixed(1)} s after the first create`,
    );

    // 2. Steady state once every pod runs and every resource shows its failed probe.
    const probeFailed = () =>
      view?.forwarders.list().filter((a) =>
        a.status?.conditions?.some(
          // A first pass longer than the Deployments' progress deadline (600 s, a loaded machine)
          // reports that instead; the pods are still probed (and fail) either way.
          (c) =>
            c.type === 'Ready' && (c.reason === 'ProbeFailed' || c.reason === 'ProgressDeadlineExceeded'),
        ),
      ).length ?? 0;
    await view.until(() => probeFailed() === N);
    const t2 = performance.now();
    log(`every resource reports its failed probe ${((t2 - t0) / 1000).toFixed(1)} s after the first create`);
    const api0 = requestsBy(await apiserverMetrics(kc));
    const m0 = await opMetrics();
    const cpu2 = readProcStats(pid).cpuMs;
    const s0 = performance.now();
    const depth: number[] = [];
    const waiting: number[] = [];
    while (performance.now() - s0 < STEADY_S * 1000) {
      await sleep(1000);
      const m = await opMetrics();
      depth.push(sumMetric(m, 'alpaca_forwarder_operator_queue_depth'));
      waiting.push(sumMetric(m, 'alpaca_forwarder_operator_probes_waiting'));
    }
    const steadyS = (performance.now() - s0) / 1000;
    const cpu3 = readProcStats(pid).cpuMs;
    const m1 = await opMetrics();
    const api1 = requestsBy(await apiserverMetrics(kc));
    const reconcilesPerS =
      (sumMetric(m1, 'alpaca_forwarder_operator_reconciles_total') -
        sumMetric(m0, 'alpaca_forwarder_operator_reconciles_total')) /
      steadyS;
    const probesPerS =
      (sumMetric(m1, 'alpaca_forwarder_operator_probes_total') -
        sumMetric(m0, 'alpaca_forwarder_operator_probes_total')) /
      steadyS;
    const apiDelta = delta(api0, api1);
    const apiTotal = apiDelta.reduce((s, [, v]) => s + v, 0);

    // 3. Delete every resource: garbage collection removes the children.
    const t3 = performance.now();
    // One DELETE each (a deletecollection of 1,000 can outlast the API server's 60 s request timeout).
    await pool(names, CONCURRENCY, async (name) => {
      await custom.deleteNamespacedCustomObject({
        group: 'torghut.io',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'alpacaforwarders',
        name,
      });
    });
    await view.until(
      () =>
        view?.forwarders.list().length === 0 &&
        view.deployments.list().length === 0 &&
        view.pods.list().length === 0,
    );
    const t4 = performance.now();
    const cpu4 = readProcStats(pid).cpuMs;
    const final = readProcStats(pid);
    const applies = (result: string) =>
      sumMetric(m1, 'alpaca_forwarder_operator_child_applies_total', (l) => l.includes(`result="${result}"`));
    const load1 = machineLoad();

    const pct = (cpuMs: number, ms: number) => `${((100 * cpuMs) / ms).toFixed(1)} % of a core`;
    const lines = [
      `resources                          ${N} (each with its own Secret), kube-controller-manager QPS ${KCM_QPS}`,
      `created in                         ${((created - t0) / 1000).toFixed(1)} s (benchmark client, ${CONCURRENCY} at a time)`,
      `all reconciled after               ${((t1 - t0) / 1000).toFixed(1)} s (every Deployment present, observedGeneration current)`,
      `  operator CPU meanwhile           ${pct(cpu1 - cpu0, t1 - t0)}`,
      `  API requests per resource (all clients, until then)`,
      ...firstPass.slice(0, 12).map(([k, v]) => `    ${k.padEnd(40)} ${(v / N).toFixed(2)}`),
      `every failed probe in status after ${((t2 - t0) / 1000).toFixed(1)} s (pods Running at unreachable 192.0.2.x)`,
      `steady state (${steadyS.toFixed(0)} s, ${N} not ready):`,
      `  reconciles/s                     ${reconcilesPerS.toFixed(2)}`,
      `  probes/s                         ${probesPerS.toFixed(1)}`,
      `  queue depth (1 s samples)        max ${Math.max(...depth)}, zero in ${depth.filter((d) => d === 0).length}/${depth.length}`,
      `  probes waiting for a slot        max ${Math.max(...waiting)}`,
      `  operator CPU                     ${pct(cpu3 - cpu2, steadyS * 1000)}`,
      `  API requests/s (all clients)     ${(apiTotal / steadyS).toFixed(2)}`,
      ...apiDelta.slice(0, 8).map(([k, v]) => `    ${k.padEnd(40)} ${(v / steadyS).toFixed(2)}/s`),
      `  child applies made / skipped     ${applies('applied')} / ${applies('unchanged')} (whole run until then)`,
      `garbage collection                 ${((t4 - t3) / 1000).toFixed(1)} s until no resource, Deployment or pod is left`,
      `  operator CPU meanwhile           ${pct(cpu4 - cpu3, t4 - t3)}`,
      `API server connections             ${proxy.opened} opened, at most ${proxy.peakOpen} open at once (whole run)`,
      `operator peak RSS                  ${mib(final.peakRssBytes)} MiB`,
      `operator CPU, whole run            ${(final.cpuMs / 1000).toFixed(1)} s`,
      `machine load                       ${load0.load1} at start, ${load1.load1} at end (1 min), ${load0.cores} cores`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    if (operator && operator.exitCode === null) {
      operator.kill('SIGTERM');
      await once(operator, 'exit');
    }
    await view?.stop();
    await proxy.stop();
    await plane.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
