/**
 * The real Kubernetes control plane for tests (etcd + kube-apiserver + kube-controller-manager,
 * built from Go modules and cached). Used by test/infra/prepare.ts and global-setup.ts, and by
 * test files through controlPlaneFromEnv() (the shared plane) or startPrivateControlPlane() (one a
 * test owns, e.g. to restart its API server).
 */
import { ensureBinaries } from './build/build-binaries.ts';
import { startPrivateControlPlane } from './control-plane.ts';

export type { ControlPlane, StartOptions } from './control-plane.ts';
export { startPrivateControlPlane } from './control-plane.ts';
export { type CountingProxy, startCountingProxy } from './counting-proxy.ts';
export { CONTROL_PLANE_ENV } from './env-names.ts';
export { controlPlaneFromEnv, type SharedControlPlane } from './from-env.ts';
export {
  applyFile,
  collectionPath,
  createTestNamespace,
  kubectl,
  type WaitOptions,
  type WatchTarget,
  waitFor,
  waitForCrdEstablished,
} from './k8s-helpers.ts';
export { KUBE_VERSION } from './versions.ts';

const log = (line: string) => process.stderr.write(`[kube] ${line}\n`);

/** Builds the control-plane binaries into the cache unless already there; streams progress. */
export async function prepareControlPlane(): Promise<void> {
  const { layout, stamp, built } = await ensureBinaries(log);
  if (!built) {
    log(
      `using cached Kubernetes v${stamp.kubeVersion} + etcd v${stamp.etcdVersion} binaries in ${layout.binDir}`,
    );
  }
}

/** Starts the shared control plane for a test run (global setup). */
export async function startControlPlane(): Promise<{ env(): Record<string, string>; stop(): Promise<void> }> {
  const started = Date.now();
  const plane = await startPrivateControlPlane({ log });
  log(
    `control plane ${plane.version} ready at ${plane.server} in ${Date.now() - started} ms (kubeconfig ${plane.kubeconfigPath})`,
  );
  return plane;
}
