/** Renders and writes the kubeconfig that points kubectl and client-node at a test control plane. */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  name?: string;
}

export function renderKubeconfig(spec: KubeconfigSpec): string {
  const name = spec.name ?? 'test-control-plane';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: spec.server, 'certificate-authority': spec.caFile } }],
    users: [{ name: 'admin', user: { 'client-certificate': spec.certFile, 'client-key': spec.keyFile } }],
    contexts: [{ name, context: { cluster: name, user: 'admin' } }],
    'current-context': name,
    preferences: {},
  });
}

export async function writeKubeconfig(file: string, spec: KubeconfigSpec): Promise<void> {
  await writeFile(file, renderKubeconfig(spec), { mode: 0o600 });
}
