/**
 * The Kubernetes release the test control plane is built from. 1.34.4 is the newest 1.34 patch the
 * Go module proxy served when this was pinned (`go list -m -versions k8s.io/kubernetes`). The etcd
 * version is not pinned here: it is read from that release's own build/dependencies.yaml.
 */
export const KUBE_VERSION = '1.34.4';

/** `v1.34.4` → `v0.34.4`: the tag every k8s.io staging module carries for that release. */
export function stagingVersion(kubeVersion: string): string {
  const m = /^v?1\.(\d+)\.(\d+)$/.exec(kubeVersion);
  if (!m) throw new Error(`Kubernetes version "${kubeVersion}" is not of the form 1.MINOR.PATCH`);
  return `v0.${m[1]}.${m[2]}`;
}

/** `1.34.4` → { major: '1', minor: '34' } for the version ldflags. */
export function majorMinor(kubeVersion: string): { major: string; minor: string } {
  const m = /^v?(\d+)\.(\d+)\.\d+$/.exec(kubeVersion);
  if (!m?.[1] || !m[2])
    throw new Error(`Kubernetes version "${kubeVersion}" is not of the form MAJOR.MINOR.PATCH`);
  return { major: m[1], minor: m[2] };
}
