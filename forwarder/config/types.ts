/** The forwarder's resolved configuration: defaults, env and the mounted file merged and validated. */
import type {
  ENCODINGS,
  FEEDS,
  LOG_LEVELS,
  SASL_MECHANISMS,
  SECURITY_PROTOCOLS,
} from '../../contracts/config-file.ts';

export type Feed = (typeof FEEDS)[number];

export interface ChannelSwitches {
  trades: boolean;
  quotes: boolean;
  bars: boolean;
  updatedBars: boolean;
  statuses: boolean;
}

export interface TopicNames {
  trades: string;
  quotes: string;
  bars: string;
  status: string;
  tradeUpdates: string;
}

export interface ForwarderConfig {
  alpaca: {
    keyId: string;
    secretKey: string;
    feed: Feed;
    encoding: (typeof ENCODINGS)[number];
    /** Offer permessage-deflate on the market-data socket. */
    perMessageDeflate: boolean;
    /** Lag (now − event time of the newest WS event) above which a `lagging` status event is sent. */
    lagThresholdMs: number;
    /** Silence after which a channel that must flow (reconnect) or a symbol (reported) is stale. */
    channelStaleAfterMs: number;
    /** Trading API base (market calendar): set, else from the trade stream URL, else the live API. */
    tradingUrl: string;
    streamUrl: string;
    dataUrl: string;
  };
  symbols: string[];
  /** Only these symbols are subscribed (static and remote lists); null = no allowlist. */
  symbolsAllowlist: string[] | null;
  /** `headersDir`: files whose names/contents are request headers (null: none). */
  symbolsFrom: { url: string; pollIntervalSeconds: number; headersDir: string | null } | null;
  channels: ChannelSwitches;
  /** `reconcileFills`: after a gap, its fills from /v2/account/activities (fill-reconciler.ts). */
  tradeUpdates: { enabled: boolean; streamUrl: string | null; reconcileFills: boolean };
  /** Per-stream `heartbeat` status events every this many ms; 0 = none. */
  heartbeatIntervalMs: number;
  backfill: {
    bars: { enabled: boolean; lookbackMinutes: number };
    /** `enabled` switches gap fill off entirely; `trades`/`quotes` pick what it fetches beside bars. */
    gapFill: { enabled: boolean; trades: boolean; quotes: boolean };
  };
  kafka: {
    brokers: string[];
    clientId: string;
    securityProtocol: (typeof SECURITY_PROTOCOLS)[number];
    sasl: { mechanism: (typeof SASL_MECHANISMS)[number]; username: string; password: string } | null;
    tlsCaFile: string | null;
    /** Mutual TLS client certificate and key (PEM files); both or neither. */
    tlsCertFile: string | null;
    tlsKeyFile: string | null;
    acks: -1 | 1 | 0;
    lingerMs: number;
    batchBytes: number;
    maxBufferBytes: number;
    compression: 'lz4' | 'none';
    topics: TopicNames;
  };
  dedup: { ttlSeconds: number; maxEntries: number };
  reconnect: { baseMs: number; maxMs: number; cooldown406Ms: number };
  health: { port: number; metricsPort: number };
  logLevel: (typeof LOG_LEVELS)[number];
  shutdown: { gracePeriodMs: number };
  lease: { enabled: boolean; namespace: string | null; durationSeconds: number };
  /** Absolute path of the mounted config file, or null when running from env only. */
  configFile: string | null;
}
