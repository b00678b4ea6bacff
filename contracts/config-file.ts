/**
 * The forwarder's mounted config file (env `FORWARDER_CONFIG_FILE`, YAML or JSON). The operator
 * renders it into a ConfigMap from the AlpacaForwarder spec (design §3.1); people running the
 * forwarder by hand may write it too. Stable: change only with a reason in the commit message.
 *
 * Shape: the CRD spec's camelCase shape, minus everything Kubernetes-only (image, resources,
 * podTemplate, networkPolicy, restartPolicy, suspend, secret references). Every key is optional;
 * unknown keys are rejected so a typo is an error, not a silently ignored setting.
 *
 * Defaults: an absent key takes the default written beside it in this schema, the only place the
 * forwarder's built-in defaults live (`CONFIG_DEFAULTS` is the schema applied to an empty file).
 * Keys without a default are derived by the forwarder (forwarder/config/resolve.ts) or unset.
 *
 * Secrets never appear here: Alpaca key id/secret and the Kafka SASL password come from env only
 * (`ALPACA_KEY_ID`, `ALPACA_SECRET_KEY`, `KAFKA_SASL_PASSWORD`). The schema has no field for them.
 *
 * Precedence (per key): built-in default < env var < this file. The file wins because the
 * operator owns it and hot-reloads symbols through it (design §4.8); an env var that a file key
 * overrides is logged at startup by name (never by value).
 *
 * Hot reload: changes to `symbols` and `channels` are applied on the live socket as
 * subscribe/unsubscribe diffs; any other change is logged as "picked up on restart" (the
 * operator rolls the pod through a config-hash annotation for those).
 */
import { z } from 'zod';

export const CONFIG_FILE_ENV = 'FORWARDER_CONFIG_FILE';
export const CONFIG_FILE_VERSION = 1;

export const FEEDS = ['iex', 'sip', 'delayed_sip', 'test'] as const;
/** WebSocket frame encoding asked of Alpaca: msgpack (what the official SDKs use) or JSON. */
export const ENCODINGS = ['msgpack', 'json'] as const;
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export const SASL_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Alpaca equity symbol (e.g. AAPL, BRK.B, FAKEPACA) or `*` (all symbols). */
export const SYMBOL_PATTERN = /^(\*|[A-Z][A-Z0-9.\-/]{0,19})$/;

/** Upper-cased, trimmed, validated, deduplicated (first occurrence order kept). */
export const symbolListSchema = z
  .array(z.string().trim().toUpperCase().regex(SYMBOL_PATTERN, 'not a valid Alpaca symbol'))
  .transform((list) => [...new Set(list)]);

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
/** `scheme://user[:password]@host`: the authority holds an `@` (the CRD refuses the same). */
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;
/**
 * Every URL setting refuses userinfo: a password in a URL would be copied into the ConfigMap and
 * logged. The message names the problem, never the URL (the caller names the key).
 */
const url = z
  .url()
  .refine(
    (u) => !USERINFO.test(u),
    'must not contain user information (user:password@); credentials come from Secrets',
  );
/** A base URL the forwarder appends paths to: trailing slashes dropped. */
const baseUrl = url.transform((u) => u.replace(/\/+$/, ''));

export const configFileSchema = z.strictObject({
  /** Format version of this file; 1. */
  version: z.literal(CONFIG_FILE_VERSION).optional(),
  feed: z.enum(FEEDS).default('iex'),
  /** Market-data frame encoding (default msgpack). */
  encoding: z.enum(ENCODINGS).default('msgpack'),
  /**
   * Offer permessage-deflate on the market-data socket. Off: inflating cost the forwarder ~45 %
   * more CPU in ws + decode for 3.7x fewer bytes (bench/README.md).
   */
  perMessageDeflate: z.boolean().default(false),
  /** Lag (now − Alpaca event time) above which the forwarder reports `lagging`, ms. */
  lagThresholdMs: positiveInt.default(2_000),
  /**
   * Bytes of frames read from a stream's socket and not yet handled before reads pause (resumed
   * at half): where a burst waits instead of Alpaca's per-client queue (read-queue.ts).
   */
  readQueueMaxBytes: positiveInt.default(64 * 1024 * 1024),
  /** Silence after which a channel that must flow (reconnect) or a symbol (reported) is stale, ms. */
  channelStaleAfterMs: positiveInt.default(180_000),
  /**
   * Trading API base for the market calendar (/v2/calendar), e.g. https://paper-api.alpaca.markets.
   * Unset: derived from tradeUpdates.streamUrl, else the live trading API.
   */
  tradingUrl: baseUrl.optional(),
  /**
   * Interval of the per-stream `heartbeat` status event, so a consumer tells a quiet stream from a
   * gone forwarder, ms (0 = none).
   */
  heartbeatIntervalMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /** Market-data WebSocket base, e.g. wss://stream.data.alpaca.markets (the forwarder appends /v2/{feed}). */
  streamUrl: baseUrl.default('wss://stream.data.alpaca.markets'),
  /** REST base for backfill/gap fill, e.g. https://data.alpaca.markets. */
  dataUrl: baseUrl.default('https://data.alpaca.markets'),
  symbols: symbolListSchema.default([]),
  /**
   * torghut-ws SYMBOLS_ALLOWLIST: only these symbols are subscribed, whether they come from
   * `symbols` or `symbolsFrom` (others are left out and logged). Not in the CRD.
   */
  symbolsAllowlist: symbolListSchema.optional(),
  symbolsFrom: z
    .strictObject({
      url,
      pollIntervalSeconds: positiveInt.default(30),
      /**
       * Directory of header files sent with every poll (file name = header name, content =
       * value; dot-entries skipped): the operator mounts spec.symbolsFrom.headersFrom's Secret
       * keys there. Only the path is in the file, never a value.
       */
      headersDir: z.string().startsWith('/', 'must be an absolute path').optional(),
    })
    .optional(),
  channels: z
    .strictObject({
      trades: z.boolean().default(true),
      quotes: z.boolean().default(true),
      bars: z.boolean().default(true),
      updatedBars: z.boolean().default(true),
      statuses: z.boolean().default(false),
    })
    .prefault({}),
  tradeUpdates: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Full URL of the trading stream, e.g. wss://paper-api.alpaca.markets/stream. */
      streamUrl: url.optional(),
      /** After a gap, fetch its fills from /v2/account/activities. */
      reconcileFills: z.boolean().default(true),
    })
    .prefault({}),
  backfill: z
    .strictObject({
      bars: z
        .strictObject({ enabled: z.boolean().default(false), lookbackMinutes: positiveInt.default(720) })
        .prefault({}),
      /**
       * After a reconnect, bars and (switches) trades / quotes over REST; `enabled` switches gap
       * fill off entirely.
       */
      gapFill: z
        .strictObject({
          enabled: z.boolean().default(true),
          trades: z.boolean().default(true),
          quotes: z.boolean().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  kafka: z
    .strictObject({
      bootstrapServers: z.array(z.string().min(1)).min(1).optional(),
      clientId: z.string().min(1).default('alpaca-forwarder'),
      securityProtocol: z.enum(SECURITY_PROTOCOLS).default('SASL_SSL'),
      /** The password comes from env KAFKA_SASL_PASSWORD only. */
      sasl: z
        .strictObject({
          mechanism: z.enum(SASL_MECHANISMS).default('SCRAM-SHA-512'),
          username: z.string().min(1).optional(),
        })
        .prefault({}),
      /** Path of a mounted PEM CA bundle (the operator mounts tls.caSecretRef there). */
      tls: z
        .strictObject({
          caFile: z.string().min(1).optional(),
          /** Mutual TLS: PEM client certificate and key files (e.g. a Strimzi KafkaUser's user.crt, user.key). */
          certFile: z.string().min(1).optional(),
          keyFile: z.string().min(1).optional(),
        })
        .prefault({}),
      producer: z
        .strictObject({
          lingerMs: z.number().int().min(0).max(1000).default(30),
          batchBytes: positiveInt.default(1_048_576),
          compression: z.enum(['lz4', 'none']).default('lz4'),
          acks: z.union([z.literal(-1), z.literal(1), z.literal(0)]).default(-1),
          /** Bound of the in-memory buffer while Kafka is unavailable (design §4.5). */
          maxBufferBytes: positiveInt.default(64 * 1024 * 1024),
        })
        .prefault({}),
      topics: z
        .strictObject({
          trades: z.string().min(1).default('torghut.trades.v1'),
          quotes: z.string().min(1).default('torghut.quotes.v1'),
          bars: z.string().min(1).default('torghut.bars.1m.v1'),
          status: z.string().min(1).default('torghut.status.v1'),
          tradeUpdates: z.string().min(1).default('torghut.trade-updates.v1'),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Long enough to cover reconnect overlap and a REST gap fill; the entry cap bounds memory. */
  dedup: z
    .strictObject({ ttlSeconds: positiveInt.default(300), maxEntries: positiveInt.default(100_000) })
    .prefault({}),
  reconnect: z
    .strictObject({
      baseMs: positiveInt.default(500),
      maxMs: positiveInt.default(30_000),
      /** Minimum back-off after a 406 (design §4.2). */
      cooldown406Ms: positiveInt.default(90_000),
    })
    .prefault({}),
  health: z.strictObject({ port: port.default(8080), metricsPort: port.default(9090) }).prefault({}),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  shutdown: z.strictObject({ gracePeriodMs: positiveInt.default(20_000) }).prefault({}),
  /** Lease (design §4.1); unset, `enabled` and `namespace` follow env POD_NAMESPACE. */
  lease: z
    .strictObject({
      enabled: z.boolean().optional(),
      namespace: z.string().min(1).optional(),
      durationSeconds: positiveInt.default(15),
    })
    .prefault({}),
});

/** What the operator writes (before transforms). */
export type ConfigFileInput = z.input<typeof configFileSchema>;
/** What the forwarder reads: defaults filled in, symbols upper-cased and deduplicated. */
export type ConfigFile = z.output<typeof configFileSchema>;

/** The built-in configuration: the schema applied to an empty file. */
export const CONFIG_DEFAULTS: Readonly<ConfigFile> = configFileSchema.parse({});
