/** Where a pod's service-account credentials live, shared by the plan and the token minting. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Name of the volume the kubelet would call `kube-api-access-<random>`. */
export const SERVICE_ACCOUNT_VOLUME = 'kube-api-access';

/** The files of the service-account volume. */
export interface ServiceAccountFiles {
  token: string;
  'ca.crt': string;
  namespace: string;
}

/** Where a container reaches the API server (KUBERNETES_SERVICE_HOST/PORT) and its CA. */
export interface ApiServerEndpoint {
  host: string;
  port: string;
  caPem: string;
}
