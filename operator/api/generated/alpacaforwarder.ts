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
    name: string;
    keyIdKey: string;
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
    url: string;
    pollIntervalSeconds: number;
  };
  /**
   * Market-data channels to subscribe for every symbol.
   */
  channels: {
    trades: boolean;
    quotes: boolean;
    bars: boolean;
    updatedBars: boolean;
    statuses: boolean;
  };
  /**
   * Forward the account's trade_updates stream (orders and fills).
   */
  tradeUpdates: {
    enabled: boolean;
    /**
     * Full URL of the trading stream; chosen explicitly (paper or live), never defaulted.
     */
    streamUrl?: string;
  };
  backfill: {
    /**
     * Fetch recent 1-minute bars over REST at start-up.
     */
    bars: {
      enabled: boolean;
      lookbackMinutes: number;
    };
    /**
     * After a WebSocket gap, fetch the missed bars over REST (deduplicated against what was sent).
     */
    gapFill: {
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
  kafka: {
    /**
     * host:port of one or more brokers.
     */
    bootstrapServers: string[];
    securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
    sasl?: {
      mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'PLAIN';
      /**
       * SASL user name (e.g. the Strimzi KafkaUser name); or read it from the Secret with secretRef.usernameKey.
       */
      username?: string;
      secretRef: {
        name: string;
        usernameKey?: string;
        passwordKey: string;
      };
    };
    tls?: {
      /**
       * Secret holding the CA bundle that signed the brokers' certificates (e.g. Strimzi's <cluster>-cluster-ca-cert); the system roots are used when absent.
       */
      caSecretRef?: {
        name: string;
        key: string;
      };
    };
    producer: {
      lingerMs: number;
      batchBytes: number;
      compression: 'lz4';
    };
    topics: {
      trades: string;
      quotes: string;
      bars: string;
      status: string;
      tradeUpdates: string;
    };
  };
  /**
   * Exact-replay suppression (reconnect and REST/WS overlap); distinct events are never dropped.
   */
  dedup: {
    ttlSeconds: number;
    maxEntries: number;
  };
  reconnect: {
    baseMs: number;
    maxMs: number;
    /**
     * Back-off after a 406 connection-limit error; at least Alpaca's ~90 s lingering-connection window.
     */
    after406Seconds: number;
  };
  restartPolicy: {
    /**
     * Restart a pod stuck on alpaca_406_second_connection (budgeted; never during a rollout).
     */
    on406: {
      enabled: boolean;
      stuckAfterSeconds: number;
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
    requests?: {
      cpu?: number | string;
      memory?: number | string;
      'ephemeral-storage'?: number | string;
    };
    limits?: {
      cpu?: number | string;
      memory?: number | string;
      'ephemeral-storage'?: number | string;
    };
  };
  /**
   * Extras merged into the forwarder's pod template.
   */
  podTemplate?: {
    nodeSelector?: {
      [k: string]: string;
    };
    tolerations?: {
      key?: string;
      operator?: 'Exists' | 'Equal';
      value?: string;
      effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
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
    enabled: boolean;
    /**
     * CIDRs Alpaca (stream and REST, port 443) is reached at; Alpaca publishes no fixed ranges, so the default is any address on port 443.
     */
    alpacaEgressCidrs: string[];
    /**
     * Namespaces the Kafka brokers run in (egress to the bootstrap ports); all namespaces when empty.
     */
    kafkaNamespaceSelector: {
      matchLabels?: {
        [k: string]: string;
      };
      matchExpressions?: {
        key: string;
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
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
      matchLabels?: {
        [k: string]: string;
      };
      matchExpressions?: {
        key: string;
        operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
        values?: string[];
      }[];
    };
  };
}
/**
 * Observed state, written by the operator only.
 */
export interface AlpacaForwarderStatus {
  observedGeneration?: number;
  /**
   * Ready (summary), Progressing, Degraded, Stalled.
   */
  conditions?: {
    type: string;
    status: 'True' | 'False' | 'Unknown';
    observedGeneration?: number;
    lastTransitionTime: string;
    reason: string;
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
  gates?: {
    alpacaWs?: boolean;
    kafka?: boolean;
    /**
     * Absent when trade updates are disabled.
     */
    tradeUpdates?: boolean;
  };
  lastProbeTime?: string;
  /**
   * Operator-triggered restarts (406 policy).
   */
  restarts?: {
    count?: number;
    lastRestartTime?: string;
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
  symbolCount?: number;
  suspended?: boolean;
}
