/* Generated from crds/alpacaforwarders.torghut.io.yaml by scripts/generate-types.ts; do not edit. */

export interface AlpacaForwarderSpecAndStatus {
  spec: AlpacaForwarderSpec;
  status?: AlpacaForwarderStatus;
}
/**
 * Desired state of the forwarder.
 */
export interface AlpacaForwarderSpec {
  /**
   * Alpaca market-data feed; test is Alpaca's always-on FAKEPACA stream.
   */
  feed: 'iex' | 'sip' | 'delayed_sip' | 'test';
  /**
   * WebSocket frame encoding the forwarder asks of Alpaca. msgpack is what Alpaca's SDKs use; json measured about 8 % less forwarder CPU per event (bench/README.md).
   */
  encoding: 'msgpack' | 'json';
  /**
   * Offer permessage-deflate on the market-data WebSocket. Off by default; on, Alpaca compresses frames (about 3.7x fewer bytes) and inflating them cost the forwarder about 45 % more CPU for ws + decode (bench/README.md).
   */
  perMessageDeflate: boolean;
  /**
   * Lag (now minus Alpaca's event time of the newest event handled) at which the forwarder reports a lagging status event; it keeps reading and stays ready. A healthy event follows once the lag is below half of it.
   */
  lagThresholdMs: number;
  /**
   * Silence after which market data is stale, judged by Alpaca's market calendar (docs/forwarder.md, Freshness). A subscribed symbol silent this long on trades or quotes after trading today (or whose minute bar is this late) is reported in /readyz detail, metrics and a degraded status event; a whole trades, quotes or bars channel silent this long in the regular session is a reconnect (reason alpaca_stream_stale).
   */
  channelStaleAfterMs: number;
  /**
   * Interval of the per-stream heartbeat status event (connection state, last event time, events since the previous one), so a consumer tells a quiet stream from a forwarder that is gone. 0 sends none.
   */
  heartbeatIntervalMs: number;
  /**
   * Base URL of the market-data WebSocket; the forwarder appends /v2/{feed} (wss://stream.data.alpaca.markets becomes wss://stream.data.alpaca.markets/v2/iex).
   */
  streamUrl: string;
  /**
   * Base URL of Alpaca's market-data REST API (backfill and gap fill).
   */
  dataUrl: string;
  /**
   * Secret in this namespace holding the Alpaca key id and secret key. The operator reads the key id only to hash it; values never leave the Secret except as environment variables of the forwarder container.
   */
  credentialsSecretRef: {
    /**
     * Name of the Secret (in the resource's namespace).
     */
    name: string;
    /**
     * Key of the Secret that holds the Alpaca key id.
     */
    keyIdKey: string;
    /**
     * Key of the Secret that holds the Alpaca secret key.
     */
    secretKeyKey: string;
  };
  /**
   * Static symbol list (upper case, unique). Also the fallback when symbolsFrom is unreachable. Changing only this list never restarts the pod.
   */
  symbols?: string[];
  /**
   * HTTP endpoint polled for the symbol list (a JSON array of strings); spec.symbols is the fallback.
   */
  symbolsFrom?: {
    /**
     * http(s) URL answering GET with a JSON array of symbols. Must not carry credentials (no user:password@, no token in the query string): send them as headers from a Secret with headersFrom.
     */
    url: string;
    /**
     * Request headers sent with every poll of url, each value taken from a Secret key (e.g. Authorization: Bearer ...). The operator mounts the keys into the pod as files; values never appear in the ConfigMap, the status, Events or logs. A change of the Secret rolls the pod.
     *
     * Items: One header: its name and the Secret key holding its value.
     */
    headersFrom?: {
      /**
       * HTTP header name (an RFC 9110 token, e.g. Authorization or X-Api-Key).
       */
      name: string;
      /**
       * The Secret key holding the header's value (in the resource's namespace).
       */
      secretKeyRef: {
        /**
         * Name of the Secret.
         */
        name: string;
        /**
         * Key in the Secret whose value is the header value (a trailing newline is dropped).
         */
        key: string;
      };
    }[];
    /**
     * Seconds between two polls of url.
     */
    pollIntervalSeconds: number;
  };
  /**
   * Market-data channels to subscribe for every symbol.
   */
  channels: {
    /**
     * Subscribe to trades (T=t).
     */
    trades: boolean;
    /**
     * Subscribe to quotes (T=q).
     */
    quotes: boolean;
    /**
     * Subscribe to 1-minute bars (T=b).
     */
    bars: boolean;
    /**
     * Subscribe to corrected 1-minute bars (T=u), sent when late trades change a bar.
     */
    updatedBars: boolean;
    /**
     * Subscribe to trading statuses (halts, resumptions; T=s).
     */
    statuses: boolean;
  };
  /**
   * Forward the account's trade_updates stream (orders and fills).
   */
  tradeUpdates: {
    /**
     * Open the trading stream and forward trade_updates to kafka.topics.tradeUpdates.
     */
    enabled: boolean;
    /**
     * Full URL of the trading stream; chosen explicitly (paper or live), never defaulted.
     */
    streamUrl?: string;
    /**
     * After a gap in the trading stream, fetch its fills from the account activities (GET /v2/account/activities?activity_types=FILL) and forward them (source rest, deduplicated against the stream); other order events in a gap are reported, not recovered.
     */
    reconcileFills: boolean;
  };
  /**
   * REST backfill at start-up and after stream gaps.
   */
  backfill: {
    /**
     * Fetch recent 1-minute bars over REST at start-up.
     */
    bars: {
      /**
       * Fetch the last lookbackMinutes of 1-minute bars when the forwarder starts.
       */
      enabled: boolean;
      /**
       * How far back the start-up bar backfill reaches, in minutes.
       */
      lookbackMinutes: number;
    };
    /**
     * After a WebSocket gap, fetch the missed bars over REST (deduplicated against what was sent).
     */
    gapFill: {
      /**
       * Fill WebSocket gaps (reconnects) over REST.
       */
      enabled: boolean;
      /**
       * Also fetch the gap's trades over REST.
       */
      trades: boolean;
      /**
       * Also fetch the gap's quotes over REST (off by default; quote volume is large).
       */
      quotes: boolean;
    };
  };
  /**
   * Kafka cluster, credentials, producer settings and topics.
   */
  kafka: {
    /**
     * host:port of one or more brokers.
     */
    bootstrapServers: string[];
    /**
     * Kafka security protocol; SASL_* need sasl, SSL and SASL_SSL may set tls.
     */
    securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
    /**
     * SASL authentication (SASL_PLAINTEXT, SASL_SSL).
     */
    sasl?: {
      /**
       * SASL mechanism the brokers' listener accepts.
       */
      mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN';
      /**
       * SASL user name (e.g. the Strimzi KafkaUser name); or read it from the Secret with secretRef.usernameKey.
       */
      username?: string;
      /**
       * Secret (in the resource's namespace) holding the SASL password, and the user name when usernameKey is set. Its values reach the pod as environment variables only.
       */
      secretRef: {
        /**
         * Name of the Secret.
         */
        name: string;
        /**
         * Key of the Secret holding the SASL user name (instead of sasl.username).
         */
        usernameKey?: string;
        /**
         * Key of the Secret holding the SASL password.
         */
        passwordKey: string;
      };
    };
    /**
     * TLS to the brokers (SSL, SASL_SSL).
     */
    tls?: {
      /**
       * Secret holding the CA bundle that signed the brokers' certificates (e.g. Strimzi's <cluster>-cluster-ca-cert); the system roots are used when absent.
       */
      caSecretRef?: {
        /**
         * Name of the Secret.
         */
        name: string;
        /**
         * Key of the Secret holding the PEM CA bundle.
         */
        key: string;
      };
    };
    /**
     * Producer batching and compression.
     */
    producer: {
      /**
       * How long a batch waits for more records before it is sent, in ms.
       */
      lingerMs: number;
      /**
       * Largest produce batch, in bytes.
       */
      batchBytes: number;
      /**
       * Batch compression codec.
       */
      compression: 'lz4';
    };
    /**
     * Topic per record kind, and who makes them: with mode none they must exist (the forwarder reports kafka_topic_missing otherwise); ensure and strimzi let the operator create them.
     */
    topics: {
      /**
       * Topic management. none: the topics are made by hand. ensure: the operator creates missing topics through the Kafka Admin API (with adminSecretRef's credentials) and reports an existing topic whose settings differ in the Topics condition, never altering it. strimzi: the operator renders KafkaTopic resources (and a KafkaUser) for the Strimzi operators when the cluster serves those CRDs.
       */
      mode: 'none' | 'ensure' | 'strimzi';
      /**
       * Partitions of each topic the operator creates (mode ensure or strimzi); an existing topic with another count is reported, not changed.
       */
      partitions: number;
      /**
       * Replication factor of each topic the operator creates (mode ensure or strimzi); min.insync.replicas is one less (at least 1).
       */
      replicationFactor: number;
      /**
       * mode strimzi: the Strimzi Kafka cluster the KafkaTopic and KafkaUser resources belong to, and how the forwarder's KafkaUser authenticates. The resources are made in the AlpacaForwarder's namespace: Strimzi's Topic and User Operators must watch it.
       */
      strimzi?: {
        /**
         * Name of the Strimzi Kafka resource (the strimzi.io/cluster label of the KafkaTopics and the KafkaUser).
         */
        cluster: string;
        /**
         * KafkaUser authentication: scram-sha-512 (the forwarder uses SASL SCRAM-SHA-512 with the password from the User Operator's Secret) or tls (mutual TLS with its user.crt and user.key).
         */
        authentication: 'scram-sha-512' | 'tls';
      };
      /**
       * mode ensure: Secret (in the resource's namespace) with the credentials the operator's Admin client uses, over the same bootstrapServers, securityProtocol, sasl.mechanism and tls CA as the forwarder. With SASL it holds usernameKey and passwordKey; with SSL or SASL_SSL it may hold a client certificate and key (user.crt, user.key) for mutual TLS. Not needed with PLAINTEXT and no mutual TLS.
       */
      adminSecretRef?: {
        /**
         * Name of the Secret.
         */
        name: string;
        /**
         * Key of the Secret holding the admin SASL user name.
         */
        usernameKey: string;
        /**
         * Key of the Secret holding the admin SASL password.
         */
        passwordKey: string;
      };
      /**
       * Topic for trades (key: symbol).
       */
      trades: string;
      /**
       * Topic for quotes (key: symbol).
       */
      quotes: string;
      /**
       * Topic for 1-minute bars and updated bars (key: symbol).
       */
      bars: string;
      /**
       * Topic for the forwarder's connection status events and Alpaca trading statuses.
       */
      status: string;
      /**
       * Topic for trade_updates (orders and fills), when tradeUpdates.enabled.
       */
      tradeUpdates: string;
    };
  };
  /**
   * Exact-replay suppression (reconnect and REST/WS overlap); distinct events are never dropped.
   */
  dedup: {
    /**
     * How long an event's key is remembered, in seconds.
     */
    ttlSeconds: number;
    /**
     * Most keys remembered at once (memory bound); the oldest go first.
     */
    maxEntries: number;
  };
  /**
   * WebSocket reconnect back-off (exponential with jitter).
   */
  reconnect: {
    /**
     * First reconnect delay, in ms.
     */
    baseMs: number;
    /**
     * Largest reconnect delay, in ms.
     */
    maxMs: number;
    /**
     * Back-off after a 406 connection-limit error, in ms (unset: 90000); at least Alpaca's ~90 s lingering-connection window.
     */
    after406Ms?: number;
    /**
     * Deprecated: the same back-off in seconds, ignored when after406Ms is set (objects stored before after406Ms existed carry the old default 90 here).
     */
    after406Seconds?: number;
  };
  /**
   * What the operator does about a forwarder it cannot fix by waiting.
   */
  restartPolicy: {
    /**
     * Restart a pod stuck on alpaca_406_second_connection (budgeted; never during a rollout).
     */
    on406: {
      /**
       * Let the operator restart the pod when a 406 persists.
       */
      enabled: boolean;
      /**
       * How long alpaca_406_second_connection must hold before the operator restarts the pod, in seconds.
       */
      stuckAfterSeconds: number;
      /**
       * Restart budget per fixed one-hour window; when spent the resource is Stalled (ConnectionHeldElsewhere) until the window ends.
       */
      maxRestartsPerHour: number;
      /**
       * Minimum time between two operator-triggered restarts.
       */
      cooldownSeconds: number;
    };
  };
  /**
   * Stop streaming (Deployment scaled to 0) and keep every resource.
   */
  suspend: boolean;
  /**
   * Forwarder image; the operator's configured default when absent.
   */
  image?: string;
  /**
   * Forwarder container resources.
   */
  resources: {
    /**
     * Minimum resources the scheduler reserves for the container.
     */
    requests?: {
      /**
       * CPU request (Kubernetes quantity, e.g. 100m).
       */
      cpu?: number | string;
      /**
       * Memory request (Kubernetes quantity, e.g. 256Mi).
       */
      memory?: number | string;
      /**
       * Ephemeral storage request (Kubernetes quantity).
       */
      'ephemeral-storage'?: number | string;
    };
    /**
     * Most resources the container may use.
     */
    limits?: {
      /**
       * CPU limit (Kubernetes quantity).
       */
      cpu?: number | string;
      /**
       * Memory limit (Kubernetes quantity, e.g. 512Mi).
       */
      memory?: number | string;
      /**
       * Ephemeral storage limit (Kubernetes quantity).
       */
      'ephemeral-storage'?: number | string;
    };
  };
  /**
   * Extras merged into the forwarder's pod template.
   */
  podTemplate?: {
    /**
     * Node labels the pod must be scheduled on.
     */
    nodeSelector?: {
      [k: string]: string;
    };
    /**
     * Taints the pod tolerates.
     *
     * Items: One toleration (core/v1 Toleration).
     */
    tolerations?: {
      /**
       * Taint key; empty with operator Exists matches every key.
       */
      key?: string;
      /**
       * Equal (value must match) or Exists.
       */
      operator?: 'Exists' | 'Equal';
      /**
       * Taint value to match with operator Equal.
       */
      value?: string;
      /**
       * Taint effect to match; empty matches all.
       */
      effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
      /**
       * For NoExecute: how long the pod stays bound after the taint appears, in seconds.
       */
      tolerationSeconds?: number;
    }[];
    /**
     * Pod annotations; keys under torghut.io/ are reserved for the operator.
     */
    annotations?: {
      [k: string]: string;
    };
  };
  /**
   * NetworkPolicy for the forwarder pod (egress to DNS, Alpaca and Kafka; ingress to the health/metrics port from the operator's and the metrics namespaces).
   */
  networkPolicy: {
    /**
     * Render the NetworkPolicy; false removes it.
     */
    enabled: boolean;
    /**
     * CIDRs Alpaca (stream and REST, port 443) is reached at; Alpaca publishes no fixed ranges, so the default is any address on port 443.
     */
    alpacaEgressCidrs: string[];
    /**
     * Namespaces the Kafka brokers run in (egress to the bootstrap ports); all namespaces when empty.
     */
    kafkaNamespaceSelector: {
      /**
       * Namespace labels that must all match.
       */
      matchLabels?: {
        [k: string]: string;
      };
      /**
       * Namespace label requirements that must all hold.
       *
       * Items: One label requirement.
       */
      matchExpressions?: {
        /**
         * Label key.
         */
        key: string;
        /**
         * In, NotIn, Exists or DoesNotExist.
         */
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
        /**
         * Values for In and NotIn; empty for Exists and DoesNotExist.
         */
        values?: string[];
      }[];
    };
    /**
     * Broker ports allowed for egress; the ports of kafka.bootstrapServers when empty.
     */
    kafkaPorts?: number[];
    /**
     * Namespaces allowed to scrape the metrics port (e.g. monitoring); only the operator's namespace when absent.
     */
    metricsNamespaceSelector?: {
      /**
       * Namespace labels that must all match.
       */
      matchLabels?: {
        [k: string]: string;
      };
      /**
       * Namespace label requirements that must all hold.
       *
       * Items: One label requirement.
       */
      matchExpressions?: {
        /**
         * Label key.
         */
        key: string;
        /**
         * In, NotIn, Exists or DoesNotExist.
         */
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
        /**
         * Values for In and NotIn; empty for Exists and DoesNotExist.
         */
        values?: string[];
      }[];
    };
  };
}
/**
 * Observed state, written by the operator only.
 */
export interface AlpacaForwarderStatus {
  /**
   * metadata.generation of the spec this status describes.
   */
  observedGeneration?: number;
  /**
   * Ready (summary), Progressing, Degraded, Stalled; Topics when spec.kafka.topics.mode is not none.
   *
   * Items: One condition (metav1.Condition).
   */
  conditions?: {
    /**
     * Condition type: Ready, Progressing, Degraded, Stalled or Topics.
     */
    type: string;
    /**
     * True, False or Unknown.
     */
    status: 'True' | 'False' | 'Unknown';
    /**
     * metadata.generation the condition was computed from.
     */
    observedGeneration?: number;
    /**
     * When status last changed.
     */
    lastTransitionTime: string;
    /**
     * Machine-readable reason in CamelCase or the forwarder's error_class (e.g. Streaming, alpaca_406_second_connection).
     */
    reason: string;
    /**
     * Human-readable detail; never a secret value.
     */
    message: string;
  }[];
  /**
   * The forwarder's readiness error_class (design §3.2); absent when healthy.
   */
  errorClass?: string;
  /**
   * The forwarder's finer readiness reason code (e.g. alpaca_402_auth_failed).
   */
  probeReason?: string;
  /**
   * When the operator first saw the current errorClass (its own clock).
   */
  errorSince?: string;
  /**
   * The forwarder's readiness gates at the last probe.
   */
  gates?: {
    /**
     * Market-data WebSocket connected, authenticated and subscribed.
     */
    alpacaWs?: boolean;
    /**
     * Kafka sink taking records.
     */
    kafka?: boolean;
    /**
     * Absent when trade updates are disabled.
     */
    tradeUpdates?: boolean;
  };
  /**
   * When the operator last read the forwarder's /readyz.
   */
  lastProbeTime?: string;
  /**
   * The holder identity (a pod name, never a key) of the account's connection Lease as the forwarder's last /readyz reported it (detail.lease.holder): this forwarder's own pod while it streams, another process's while that one holds the connection. Absent when the Lease is off, unheld, or the last probe got no body.
   */
  leaseHolder?: string;
  /**
   * Operator-triggered restarts (406 policy).
   */
  restarts?: {
    /**
     * Operator-triggered restarts since the resource was created.
     */
    count?: number;
    /**
     * When the operator last restarted the pod.
     */
    lastRestartTime?: string;
    /**
     * Why the operator last restarted the pod.
     */
    lastReason?: string;
    /**
     * Start of the current fixed one-hour restart budget window.
     */
    windowStart?: string;
    /**
     * Restarts within the window that began at windowStart.
     */
    windowCount?: number;
    /**
     * Value of the pod template's torghut.io/restartedAt annotation; re-sent on every apply so server-side apply neither drops nor repeats a restart.
     */
    restartedAt?: string;
  };
  /**
   * Hash of the rendered configuration that rolls the pod (everything but symbols).
   */
  configHash?: string;
  /**
   * Hash of the referenced Secrets' contents (never the values).
   */
  secretHash?: string;
  /**
   * Hash of the Alpaca key id in use; compared across resources to refuse a second stream on the same account.
   */
  keyIdHash?: string;
  /**
   * Symbols the forwarder wants now, as its readiness endpoint reports them (symbolsFrom's last good answer, else spec.symbols); the length of spec.symbols until the forwarder reports.
   */
  symbolCount?: number;
  /**
   * True while spec.suspend holds the Deployment at 0 replicas.
   */
  suspended?: boolean;
}
