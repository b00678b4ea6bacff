/** Environment variables through which global setup hands the shared control plane to test files. */
export const CONTROL_PLANE_ENV = {
  kubeconfig: 'TEST_KUBECONFIG',
  server: 'TEST_KUBE_SERVER',
  version: 'TEST_KUBE_VERSION',
} as const;
