/**
 * Service-account credentials for local pods, the way a kubelet provides them: a token from the
 * TokenRequest API (audience = the API server's, 1 h, bound to the pod, refreshed at 80 % of its
 * life) and the API server's CA and the pod's namespace, mounted at
 * /var/run/secrets/kubernetes.io/serviceaccount, plus KUBERNETES_SERVICE_HOST/PORT pointing at the
 * API server, so `KubeConfig.loadFromDefault()` in the container runs with exactly the RBAC of
 * the pod's ServiceAccount. The decisions are pure functions; `ServiceAccountTokens` does the I/O.
 */
import { readFileSync } from 'node:fs';
import { CoreV1Api, type KubeConfig, type V1Pod, type V1ServiceAccount } from '@kubernetes/client-node';
import { PodConfigError } from './pod-process.ts';
import type { ApiServerEndpoint, ServiceAccountFiles } from './service-account-paths.ts';

export const TOKEN_EXPIRATION_SECONDS = 3600;

export function serviceAccountName(pod: V1Pod): string {
  return pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
}

/** The pod's field wins; otherwise the ServiceAccount's; otherwise true (Kubernetes' rule). */
export function automountWanted(pod: V1Pod, sa: V1ServiceAccount | undefined): boolean {
  return pod.spec?.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
}

/** When to mint the next token: at 80 % of the current one's lifetime (the kubelet's rule). */
export function refreshAtMs(issuedAtMs: number, expiresAtMs: number): number {
  return issuedAtMs + Math.floor((expiresAtMs - issuedAtMs) * 0.8);
}

/** The API server address and CA from a kubeconfig's current cluster (https://HOST:PORT). */
export function apiServerEndpoint(kc: KubeConfig): ApiServerEndpoint {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server);
  if (url.protocol !== 'https:') throw new Error(`API server ${cluster.server} is not https`);
  let caPem: string;
  if (cluster.caData) caPem = Buffer.from(cluster.caData, 'base64').toString('utf8');
  else if (cluster.caFile) caPem = readFileSync(cluster.caFile, 'utf8');
  else throw new Error(`kubeconfig cluster ${cluster.name} has no certificate authority`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || '443', caPem };
}

interface CachedToken {
  token: string;
  refreshAtMs: number;
  expiresAtMs: number;
}

/** Mints and caches one token per pod (by uid); forget() when the pod is gone. */
export class ServiceAccountTokens {
  private readonly api: CoreV1Api;
  private readonly endpoint: ApiServerEndpoint;
  private readonly now: () => number;
  private readonly cache = new Map<string, CachedToken>();

  constructor(kubeConfig: KubeConfig, now: () => number = Date.now) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
    this.endpoint = apiServerEndpoint(kubeConfig);
    this.now = now;
  }

  get apiServer(): ApiServerEndpoint {
    return this.endpoint;
  }

  /**
   * The volume files for this pod, or undefined when it opts out of automounting. A missing
   * ServiceAccount is a PodConfigError naming it (the container must not start without it). A
   * failed refresh keeps the current token while it is still valid, like the kubelet.
   */
  async filesFor(pod: V1Pod): Promise<ServiceAccountFiles | undefined> {
    if (pod.spec?.automountServiceAccountToken === false) return undefined;
    const uid = pod.metadata?.uid ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    const saName = serviceAccountName(pod);
    const cached = this.cache.get(uid);
    const now = this.now();
    let token = cached?.token;
    if (cached === undefined || now >= cached.refreshAtMs) {
      try {
        const sa = await this.readServiceAccount(namespace, saName);
        if (!automountWanted(pod, sa)) {
          this.cache.delete(uid);
          return undefined;
        }
        const minted = await this.mint(pod, namespace, saName);
        this.cache.set(uid, minted);
        token = minted.token;
      } catch (err) {
        if (cached === undefined || now >= cached.expiresAtMs) throw err;
      }
    }
    if (token === undefined) throw new Error('unreachable: no token');
    return { token, 'ca.crt': this.endpoint.caPem, namespace };
  }

  forget(uid: string): void {
    this.cache.delete(uid);
  }

  private async readServiceAccount(namespace: string, name: string): Promise<V1ServiceAccount> {
    try {
      return await this.api.readNamespacedServiceAccount({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404)
        throw new PodConfigError(`serviceaccount "${name}" not found in namespace ${namespace}`);
      throw err;
    }
  }

  private async mint(pod: V1Pod, namespace: string, name: string): Promise<CachedToken> {
    const issuedAtMs = this.now();
    const res = await this.api.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          // No audiences: the API server's own (what the kubelet's kube-api-access volume uses).
          audiences: [],
          expirationSeconds: TOKEN_EXPIRATION_SECONDS,
          boundObjectRef: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: pod.metadata?.name ?? '',
            uid: pod.metadata?.uid ?? '',
          },
        },
      },
    });
    const token = res.status?.token;
    if (!token) throw new Error(`TokenRequest for serviceaccount ${namespace}/${name} returned no token`);
    // The response's spec carries the lifetime the API server actually granted (it may cap it).
    const lifetimeS = res.spec?.expirationSeconds ?? TOKEN_EXPIRATION_SECONDS;
    const expiresAtMs = issuedAtMs + lifetimeS * 1000;
    return { token, expiresAtMs, refreshAtMs: refreshAtMs(issuedAtMs, expiresAtMs) };
  }
}
