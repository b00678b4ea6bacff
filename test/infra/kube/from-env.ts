/**
 * For test files: the shared control plane global setup started, read from the environment it
 * exported (test files run in child processes of the runner, which inherit it).
 */
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { CONTROL_PLANE_ENV } from './env-names.ts';

export interface SharedControlPlane {
  kubeconfigPath: string;
  server: string;
  version: string;
  /** A fresh client-node KubeConfig with admin credentials. */
  kubeConfig(): KubeConfig;
}

export function controlPlaneFromEnv(env: NodeJS.ProcessEnv = process.env): SharedControlPlane {
  const kubeconfigPath = env[CONTROL_PLANE_ENV.kubeconfig];
  const server = env[CONTROL_PLANE_ENV.server];
  if (!kubeconfigPath || !server) {
    throw new Error(
      `${CONTROL_PLANE_ENV.kubeconfig} / ${CONTROL_PLANE_ENV.server} are not set: this test needs the shared Kubernetes ` +
        'control plane. Run it through the test script, e.g. `TEST_INFRA=kube bash scripts/test.sh FILE`, whose ' +
        'global setup (test/infra/global-setup.ts) starts the control plane and exports them.',
    );
  }
  if (!existsSync(kubeconfigPath)) {
    throw new Error(
      `${CONTROL_PLANE_ENV.kubeconfig}=${kubeconfigPath} does not exist (was the control plane stopped?)`,
    );
  }
  return {
    kubeconfigPath,
    server,
    version: env[CONTROL_PLANE_ENV.version] ?? '',
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
  };
}
