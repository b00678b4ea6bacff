/**
 * Tests keep @kubernetes/client-node as their own client; the operator takes the client-node-free
 * KubeClientConfig (lib/kube/kube-config.ts). This converts the current context of a client-node
 * KubeConfig (a test control plane's, a counting proxy's, a service-account token's) into one.
 * Only what the product's loader supports is carried over: server, CA, client certificate and
 * key, bearer token; anything else is refused so that a test cannot pass on a form the product
 * would not read.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClientConfig } from '../../lib/kube/kube-config.ts';
import type { Pki } from '../infra/kube/pki.ts';

function pem(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(file);
  return undefined;
}

export function clientConfigOf(kc: KubeConfig): KubeClientConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('test kubeconfig: the current context names no cluster');
  if (cluster.skipTLSVerify || cluster.proxyUrl) {
    throw new Error(
      `test kubeconfig: cluster ${cluster.name} uses skipTLSVerify/proxyUrl, which the operator does not read`,
    );
  }
  const user = kc.getCurrentUser();
  if (user?.exec || user?.authProvider || user?.username || user?.password) {
    throw new Error(`test kubeconfig: user ${user.name} uses a form the operator does not read`);
  }
  const config: KubeClientConfig = {
    server: cluster.server.replace(/\/+$/, ''),
    source: `test:${cluster.name}`,
  };
  const ca = pem(cluster.caData, cluster.caFile);
  if (ca) config.ca = ca;
  const cert = pem(user?.certData, user?.certFile);
  const key = pem(user?.keyData, user?.keyFile);
  if (cert && key) {
    config.cert = cert;
    config.key = key;
  }
  const token = user?.token;
  if (token) config.token = () => token;
  return config;
}

/** A KubeClientConfig for a local test server on `port`, with the test PKI's admin client pair. */
export function localClientConfig(
  port: number,
  pki: Pki,
  token: string,
  extra: Partial<KubeClientConfig> = {},
): KubeClientConfig {
  return {
    server: `https://127.0.0.1:${port}`,
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.adminCert),
    key: readFileSync(pki.adminKey),
    token: () => token,
    source: 'test',
    ...extra,
  };
}
