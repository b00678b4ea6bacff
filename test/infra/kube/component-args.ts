/**
 * Pure command lines of the three control-plane processes, with the flags envtest uses
 * (controller-runtime pkg/internal/testing/controlplane; operator-notes.md §6.1) plus a
 * kube-controller-manager limited to the controllers the tests need.
 */
import type { Pki } from './pki.ts';

export interface EtcdPorts {
  client: number;
  peer: number;
}

export function etcdUrl(ports: EtcdPorts): string {
  return `http://127.0.0.1:${ports.client}`;
}

export function etcdArgs(dataDir: string, ports: EtcdPorts): string[] {
  const client = etcdUrl(ports);
  const peer = `http://127.0.0.1:${ports.peer}`;
  return [
    '--name=default',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export interface ApiServerSpec {
  port: number;
  etcd: string;
  certDir: string;
  pki: Pki;
}

export function apiServerUrl(port: number): string {
  return `https://127.0.0.1:${port}`;
}

export function apiServerArgs(spec: ApiServerSpec): string[] {
  return [
    `--etcd-servers=${spec.etcd}`,
    `--secure-port=${spec.port}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The lease reconciler would publish 127.0.0.1 as the kubernetes Endpoints, which validation
    // rejects (loopback) and logs every few seconds; nothing here needs that Service's endpoints.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${spec.certDir}`,
    `--tls-cert-file=${spec.pki.servingCert}`,
    `--tls-private-key-file=${spec.pki.servingKey}`,
    `--client-ca-file=${spec.pki.caCert}`,
    // A /16 (65,534 ClusterIPs): a /24 fills at ~253 Services, below bench/operator's 1,000
    // AlpacaForwarders (one Service each). The kubernetes Service keeps 10.0.0.1.
    '--service-cluster-ip-range=10.0.0.0/16',
    '--allow-privileged=true',
    '--disable-admission-plugins=ServiceAccount',
    '--authorization-mode=RBAC',
    `--service-account-issuer=${apiServerUrl(spec.port)}`,
    `--service-account-key-file=${spec.pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${spec.pki.serviceAccountKey}`,
    // Without it a SIGTERM waits for open watches (up to the stop bound); with it the server ends
    // them and exits in about a second, as the restart test and every teardown want.
    '--shutdown-watch-termination-grace-period=2s',
  ];
}

/**
 * Only what the tests need: Deployment → ReplicaSet, ownerReference garbage collection and
 * namespace deletion. 1.34 accepts these `*-controller` names (the short aliases also work).
 */
export const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'garbage-collector-controller',
  'namespace-controller',
];

export interface ControllerManagerSpec {
  port: number;
  kubeconfig: string;
  certDir: string;
  /** Client QPS of the controllers (default 20, burst 30); benchmarks with thousands of objects raise it. */
  kubeApiQps?: number;
}

/**
 * No --authentication/--authorization-kubeconfig: only /healthz is used, which is always allowed, and
 * with them the controller-manager logs errors forever about the request-header CA the API server
 * does not have.
 */
export function controllerManagerArgs(spec: ControllerManagerSpec): string[] {
  return [
    `--kubeconfig=${spec.kubeconfig}`,
    '--leader-elect=false',
    '--use-service-account-credentials=false',
    `--controllers=${CONTROLLERS.join(',')}`,
    `--secure-port=${spec.port}`,
    '--bind-address=127.0.0.1',
    `--cert-dir=${spec.certDir}`,
    ...(spec.kubeApiQps
      ? [`--kube-api-qps=${spec.kubeApiQps}`, `--kube-api-burst=${spec.kubeApiQps * 2}`]
      : []),
  ];
}
