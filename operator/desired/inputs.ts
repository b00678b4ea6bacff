/** Inputs the desired-state builders take besides the resource and the operator settings. */
export interface DesiredInputs {
  /** secretHash() of the referenced Secret values (operator/desired/hash.ts); rotation rolls the pod. */
  secretHash: string;
  /** status.restarts.restartedAt when set: re-sent on every apply so SSA neither drops nor repeats it. */
  restartedAt?: string;
  /** Keep the Deployment at 0 replicas although not suspended (e.g. CredentialsInUse). */
  hold?: boolean;
  /**
   * Name of the Lease the forwarder holds (design §4.1). When known, the Role's get/update are
   * limited to it with resourceNames; otherwise they cover the namespace's Leases. (Kubernetes
   * cannot limit `create` by name.)
   */
  leaseName?: string;
  /** The cluster serves monitoring.coreos.com/v1 PodMonitors: render one for the forwarder pod. */
  podMonitor?: boolean;
  /** The cluster serves Strimzi's KafkaTopic and KafkaUser: render them (spec.kafka.topics.mode strimzi). */
  strimzi?: boolean;
}
