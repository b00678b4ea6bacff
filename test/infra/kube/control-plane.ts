/**
 * Starts one real control plane on loopback: etcd, kube-apiserver and kube-controller-manager from
 * the cached binaries, on free random ports, with a throwaway PKI and a kubeconfig, all in one temp
 * directory. The handle stops everything by pid and removes the directory; it can also stop and
 * start just the kube-apiserver (same port, same etcd) for tests that survive an API server restart.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { validCache } from './build/stamp.ts';
import { type CacheLayout, cacheLayout } from './cache-paths.ts';
import { apiServerArgs, apiServerUrl, controllerManagerArgs, etcdArgs, etcdUrl } from './component-args.ts';
import { CONTROL_PLANE_ENV } from './env-names.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { generatePki } from './pki.ts';
import { freePort } from './ports.ts';
import { type SupervisedProcess, startProcess } from './supervised-process.ts';
import { KUBE_VERSION } from './versions.ts';
import { waitReady } from './wait-ready.ts';

export interface ControlPlane {
  /** e.g. `v1.34.4`. */
  readonly version: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly kubeconfigPath: string;
  /** Temp directory with PKI, etcd data and the process logs (`logs/*.log`). */
  readonly dir: string;
  /** Environment variables that hand this control plane to test files (see env-names.ts). */
  env(): Record<string, string>;
  /** A fresh client-node KubeConfig with admin credentials. */
  kubeConfig(): KubeConfig;
  /** Stops only kube-apiserver (SIGTERM, then SIGKILL after a bound); etcd keeps the data. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port against the same etcd and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** Stops every process by pid and removes the temp directory. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: (line: string) => void;
  /** kube-controller-manager client QPS (default 20). */
  controllerManagerQps?: number;
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function notBuiltError(binDir: string): Error {
  return new Error(
    `the Kubernetes v${KUBE_VERSION} control-plane binaries are not in the cache (${binDir}). Build them once with ` +
      '`TEST_INFRA=kube node test/infra/prepare.ts` (or `bash scripts/build-kube.sh`), then run tests with ' +
      '`TEST_INFRA=kube bash scripts/test.sh FILE...`.',
  );
}

/** Ports are picked free then bound by the child; another process may take one in between. */
export function isPortClash(err: unknown): boolean {
  return /address already in use/i.test(String((err as Error)?.message ?? err));
}

const START_ATTEMPTS = 3;

export async function startPrivateControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const layout = cacheLayout(KUBE_VERSION);
  if ((await validCache(layout, KUBE_VERSION)) === undefined) throw notBuiltError(layout.binDir);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(layout, log, options.controllerManagerQps);
    } catch (err) {
      if (!isPortClash(err) || attempt >= START_ATTEMPTS) throw err;
      log(
        `a port was taken by another process before the control plane bound it; retrying (attempt ${attempt + 1})`,
      );
      const dir = (err as { controlPlaneDir?: string }).controlPlaneDir;
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }
}

async function startOnce(
  layout: CacheLayout,
  log: (line: string) => void,
  kubeApiQps?: number,
): Promise<ControlPlane> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-cp-'));
  const d = (name: string) => path.join(dir, name);
  await Promise.all(
    ['pki', 'etcd-data', 'apiserver-certs', 'kcm-certs', 'logs'].map((s) => mkdir(d(s), { mode: 0o700 })),
  );
  const started: SupervisedProcess[] = [];
  try {
    const pki = await generatePki(d('pki'));
    const [etcdClient, etcdPeer, apiPort, kcmPort] = (await distinctPorts(4)) as [
      number,
      number,
      number,
      number,
    ];
    const etcdPorts = { client: etcdClient, peer: etcdPeer };

    const etcd = await startProcess({
      name: 'etcd',
      command: layout.binary('etcd'),
      args: etcdArgs(d('etcd-data'), etcdPorts),
      logFile: d('logs/etcd.log'),
    });
    started.push(etcd);
    await waitReady(etcd, { url: `${etcdUrl(etcdPorts)}/health` });
    log(`etcd ready on ${etcdUrl(etcdPorts)} (pid ${etcd.pid})`);

    const server = apiServerUrl(apiPort);
    const adminTls = { caFile: pki.caCert, certFile: pki.adminCert, keyFile: pki.adminKey };
    const apiSpec = {
      name: 'kube-apiserver',
      command: layout.binary('kube-apiserver'),
      args: apiServerArgs({ port: apiPort, etcd: etcdUrl(etcdPorts), certDir: d('apiserver-certs'), pki }),
      logFile: d('logs/kube-apiserver.log'),
    };
    const startApi = async (): Promise<SupervisedProcess> => {
      const proc = await startProcess(apiSpec);
      await waitReady(proc, { url: `${server}/readyz`, tls: adminTls }).catch(async (err) => {
        await proc.stop(5_000);
        throw err;
      });
      log(`kube-apiserver ready on ${server} (pid ${proc.pid})`);
      return proc;
    };
    let api: SupervisedProcess | undefined = await startApi();
    started.push(api);

    const kubeconfigPath = d('kubeconfig');
    await writeKubeconfig(kubeconfigPath, {
      server,
      caFile: pki.caCert,
      certFile: pki.adminCert,
      keyFile: pki.adminKey,
    });

    const kcm = await startProcess({
      name: 'kube-controller-manager',
      command: layout.binary('kube-controller-manager'),
      args: controllerManagerArgs({
        port: kcmPort,
        kubeconfig: kubeconfigPath,
        certDir: d('kcm-certs'),
        ...(kubeApiQps ? { kubeApiQps } : {}),
      }),
      logFile: d('logs/kube-controller-manager.log'),
    });
    started.push(kcm);
    await waitReady(kcm, { url: `https://127.0.0.1:${kcmPort}/healthz`, tls: { insecure: true } });
    log(`kube-controller-manager healthy on 127.0.0.1:${kcmPort} (pid ${kcm.pid})`);

    let stopped = false;
    return {
      version: `v${KUBE_VERSION}`,
      server,
      kubeconfigPath,
      dir,
      env: () => ({
        [CONTROL_PLANE_ENV.kubeconfig]: kubeconfigPath,
        [CONTROL_PLANE_ENV.server]: server,
        [CONTROL_PLANE_ENV.version]: `v${KUBE_VERSION}`,
      }),
      kubeConfig: () => {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        return kc;
      },
      async stopApiServer() {
        if (!api) throw new Error('kube-apiserver is already stopped');
        const proc = api;
        api = undefined;
        await proc.stop();
        log(`kube-apiserver (pid ${proc.pid}) stopped`);
      },
      async startApiServer() {
        if (stopped) throw new Error('this control plane has been stopped');
        if (api) throw new Error(`kube-apiserver is already running (pid ${api.pid})`);
        api = await startApi();
        started.push(api);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll(started);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll(started);
    const failure = new Error(
      `the test control plane failed to start (its files and logs are kept in ${dir}): ${(err as Error).message}`,
      { cause: err },
    );
    throw Object.assign(failure, { controlPlaneDir: dir });
  }
}

/** Stops in reverse start order: controller-manager, API server(s), then etcd. */
async function stopAll(procs: SupervisedProcess[]): Promise<void> {
  for (const p of [...procs].reverse()) await p.stop();
}
