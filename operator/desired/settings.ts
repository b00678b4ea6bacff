/**
 * Operator-wide settings the desired-state builders need (from the operator's own env/flags;
 * the runtime resolves them once at start-up).
 */
export interface OperatorSettings {
  /** Namespace the operator runs in: the forwarder's health port accepts traffic from it. */
  operatorNamespace: string;
  /** Forwarder image used when spec.image is absent. */
  defaultImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Forwarder log level written to its config file. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** CIDRs the kube-apiserver is reached at (the forwarder holds a Lease); egress on apiServerPorts. */
  apiServerCidrs: readonly string[];
  apiServerPorts: readonly number[];
}

export const DEFAULT_SETTINGS: Omit<OperatorSettings, 'operatorNamespace' | 'defaultImage'> = {
  imagePullPolicy: 'IfNotPresent',
  logLevel: 'info',
  apiServerCidrs: ['0.0.0.0/0'],
  apiServerPorts: [443, 6443],
};

/** Fixed facts of the forwarder pod (ports, paths, user, timings), shared by the builders. */
export const FORWARDER_POD = {
  healthPort: 8080,
  metricsPort: 9090,
  /** Non-root user of the distroless image (Dockerfile.forwarder: USER 65532:65532). */
  runAsUser: 65532,
  configDir: '/etc/alpaca-forwarder',
  configFileName: 'config.json',
  kafkaCaDir: '/etc/alpaca-forwarder/kafka-ca',
  kafkaCaFileName: 'ca.crt',
  /** spec.symbolsFrom.headersFrom's Secret keys, one file per header (the file name is the header). */
  symbolsHeadersDir: '/etc/alpaca-forwarder/symbols-headers',
  /** Mutual TLS client certificate and key (a Strimzi KafkaUser with tls authentication). */
  kafkaClientDir: '/etc/alpaca-forwarder/kafka-client',
  /**
   * The forwarder's own shutdown budget: close the WebSocket(s) with a close frame (so Alpaca
   * frees the connection slot at once instead of lingering ~90 s) and flush Kafka.
   */
  shutdownGraceMs: 20_000,
  /** Pod grace: the forwarder's budget plus margin for the Kafka flush to finish before SIGKILL. */
  terminationGracePeriodSeconds: 45,
} as const;
