/**
 * Env vars (the names existing torghut-ws deployments use) → the config-file shape. Values are
 * parsed strictly: a malformed number or boolean is an error naming the variable, never a silent
 * fallback to the default. Secrets are returned separately and never enter the file shape.
 */
import type { ConfigFileInput } from '../../contracts/config-file.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvIssue {
  key: string;
  message: string;
}

export interface EnvSecrets {
  alpacaKeyId: string | undefined;
  alpacaSecretKey: string | undefined;
  kafkaSaslPassword: string | undefined;
}

export interface EnvReading {
  /** File-shaped settings from env (before the file is applied on top). */
  values: ConfigFileInput;
  /** path in the file shape (dot-joined) → env key it came from, to name env keys in errors. */
  sources: Map<string, string>;
  secrets: EnvSecrets;
  podNamespace: string | undefined;
  configFile: string | undefined;
  issues: EnvIssue[];
}

const CHANNEL_NAMES = ['trades', 'quotes', 'bars', 'updatedBars', 'statuses'] as const;

type Parser = (raw: string) => { ok: true; value: unknown } | { ok: false; message: string };

const str: Parser = (raw) => ({ ok: true, value: raw });
const int: Parser = (raw) =>
  /^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))
    ? { ok: true, value: Number(raw) }
    : { ok: false, message: `expected an integer, got ${JSON.stringify(raw)}` };
const bool: Parser = (raw) => {
  const v = raw.toLowerCase();
  if (v === 'true') return { ok: true, value: true };
  if (v === 'false') return { ok: true, value: false };
  return { ok: false, message: `expected true or false, got ${JSON.stringify(raw)}` };
};
const list: Parser = (raw) => ({
  ok: true,
  value: raw
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
});
const lower: Parser = (raw) => ({ ok: true, value: raw.toLowerCase() });
const upper: Parser = (raw) => ({ ok: true, value: raw.toUpperCase() });
const trimSlash: Parser = (raw) => ({ ok: true, value: raw.replace(/\/+$/, '') });
const acks: Parser = (raw) => {
  const v = raw.toLowerCase();
  if (v === 'all' || v === '-1') return { ok: true, value: -1 };
  if (v === '1' || v === '0') return { ok: true, value: Number(v) };
  return { ok: false, message: `expected all, -1, 1 or 0, got ${JSON.stringify(raw)}` };
};
const hoursToMinutes: Parser = (raw) => {
  const r = int(raw);
  return r.ok ? { ok: true, value: (r.value as number) * 60 } : r;
};
const msToSeconds: Parser = (raw) => {
  const r = int(raw);
  if (!r.ok) return r;
  const ms = r.value as number;
  return ms % 1000 === 0
    ? { ok: true, value: ms / 1000 }
    : { ok: false, message: `expected a whole number of seconds in ms, got ${raw}` };
};

/** env key → (path in the file shape, parser). Order matters only for documentation. */
export const ENV_KEYS: ReadonlyArray<readonly [string, string, Parser]> = [
  ['ALPACA_FEED', 'feed', lower],
  ['ALPACA_WS_ENCODING', 'encoding', lower],
  ['ALPACA_WS_PERMESSAGE_DEFLATE', 'perMessageDeflate', bool],
  ['ALPACA_LAG_THRESHOLD_MS', 'lagThresholdMs', int],
  ['ALPACA_WS_READ_QUEUE_MAX_BYTES', 'readQueueMaxBytes', int],
  ['ALPACA_CHANNEL_STALE_AFTER_MS', 'channelStaleAfterMs', int],
  ['ALPACA_TRADING_URL', 'tradingUrl', trimSlash],
  ['ALPACA_STREAM_URL', 'streamUrl', trimSlash],
  ['ALPACA_BASE_URL', 'dataUrl', trimSlash],
  ['SYMBOLS', 'symbols', list],
  ['SYMBOLS_ALLOWLIST', 'symbolsAllowlist', list],
  ['JANGAR_SYMBOLS_URL', 'symbolsFrom.url', str],
  ['SYMBOLS_POLL_INTERVAL_MS', 'symbolsFrom.pollIntervalSeconds', msToSeconds],
  ['SYMBOLS_FROM_HEADERS_DIR', 'symbolsFrom.headersDir', str],
  ['ENABLE_TRADE_UPDATES', 'tradeUpdates.enabled', bool],
  ['ALPACA_TRADE_STREAM_URL', 'tradeUpdates.streamUrl', str],
  ['ENABLE_TRADE_UPDATES_FILL_RECONCILE', 'tradeUpdates.reconcileFills', bool],
  ['STATUS_HEARTBEAT_INTERVAL_MS', 'heartbeatIntervalMs', int],
  ['ENABLE_BARS_BACKFILL', 'backfill.bars.enabled', bool],
  ['BARS_BACKFILL_LOOKBACK_HOURS', 'backfill.bars.lookbackMinutes', hoursToMinutes],
  ['BARS_BACKFILL_LOOKBACK_MINUTES', 'backfill.bars.lookbackMinutes', int],
  ['ENABLE_GAP_FILL', 'backfill.gapFill.enabled', bool],
  ['ENABLE_TRADES_GAP_FILL', 'backfill.gapFill.trades', bool],
  ['ENABLE_QUOTES_GAP_FILL', 'backfill.gapFill.quotes', bool],
  ['RECONNECT_BASE_MS', 'reconnect.baseMs', int],
  ['RECONNECT_MAX_MS', 'reconnect.maxMs', int],
  ['ALPACA_406_COOLDOWN_MS', 'reconnect.cooldown406Ms', int],
  ['DEDUP_TTL_SEC', 'dedup.ttlSeconds', int],
  ['DEDUP_MAX_ENTRIES', 'dedup.maxEntries', int],
  ['KAFKA_BOOTSTRAP', 'kafka.bootstrapServers', list],
  ['KAFKA_CLIENT_ID', 'kafka.clientId', str],
  ['KAFKA_SECURITY_PROTOCOL', 'kafka.securityProtocol', upper],
  ['KAFKA_SASL_MECH', 'kafka.sasl.mechanism', upper],
  ['KAFKA_SASL_USER', 'kafka.sasl.username', str],
  ['KAFKA_TLS_CA_FILE', 'kafka.tls.caFile', str],
  ['KAFKA_TLS_CERT_FILE', 'kafka.tls.certFile', str],
  ['KAFKA_TLS_KEY_FILE', 'kafka.tls.keyFile', str],
  ['KAFKA_LINGER_MS', 'kafka.producer.lingerMs', int],
  ['KAFKA_BATCH_SIZE', 'kafka.producer.batchBytes', int],
  ['KAFKA_BUFFER_MEMORY_BYTES', 'kafka.producer.maxBufferBytes', int],
  ['KAFKA_COMPRESSION', 'kafka.producer.compression', lower],
  ['KAFKA_ACKS', 'kafka.producer.acks', acks],
  ['TOPIC_TRADES', 'kafka.topics.trades', str],
  ['TOPIC_QUOTES', 'kafka.topics.quotes', str],
  ['TOPIC_BARS_1M', 'kafka.topics.bars', str],
  ['TOPIC_STATUS', 'kafka.topics.status', str],
  ['TOPIC_TRADE_UPDATES', 'kafka.topics.tradeUpdates', str],
  ['HEALTH_PORT', 'health.port', int],
  ['METRICS_PORT', 'health.metricsPort', int],
  ['LOG_LEVEL', 'logLevel', lower],
  ['SHUTDOWN_GRACE_MS', 'shutdown.gracePeriodMs', int],
  ['LEASE_ENABLED', 'lease.enabled', bool],
  ['LEASE_DURATION_SEC', 'lease.durationSeconds', int],
];

/**
 * torghut-ws settings this forwarder does not carry out. Each is refused with an error naming it
 * when set to anything but the value that means "off" (the check returns null for that value), so
 * a migrated deployment never runs with a setting silently ignored (docs/forwarder.md, "Migration
 * from torghut-ws"). Informational keys torghut-ws itself never read are not settings (not here).
 */
const UNSUPPORTED: Readonly<Record<string, (raw: string) => string | null>> = {
  ALPACA_MARKET_TYPE: (raw) =>
    raw.trim().toLowerCase() === 'equity' ? null : 'only equity is supported by this forwarder',
  ALPACA_CRYPTO_LOCATION: () => 'crypto is not supported (equity only); remove this key',
  OPTIONS_MARKET_HOLIDAYS: () =>
    "not supported: holidays come from Alpaca's market calendar (/v2/calendar) or the shipped NYSE rule set; remove this key",
  SHARD_COUNT: (raw) =>
    raw.trim() === '1' ? null : 'symbol sharding is not supported; run one forwarder per key',
  SHARD_INDEX: (raw) =>
    raw.trim() === '0' ? null : 'symbol sharding is not supported; run one forwarder per key',
  SUBSCRIBE_BATCH_SIZE: () =>
    'not supported: subscribe messages are split by size automatically; remove this key',
  ALPACA_OBSERVATION_FEEDS: (raw) =>
    raw.trim() === '' ? null : 'observation feeds are not supported; run one forwarder per feed',
  ALPACA_OBSERVATION_SYMBOLS: () => 'observation feeds are not supported; run one forwarder per feed',
  TOPIC_OBSERVATION_STATUS: () => 'observation feeds are not supported; run one forwarder per feed',
  MARKET_DATA_UNIVERSE_ID: () =>
    'versioned market-data universes are not supported; list the symbols in SYMBOLS',
  MARKET_DATA_UNIVERSE_SYMBOL_HASH: () =>
    'versioned market-data universes are not supported; list the symbols in SYMBOLS',
  TORGHUT_ACCOUNT_LABEL: () =>
    'the trade-updates v2 copy with an account label is not supported; remove this key',
  TOPIC_TRADE_UPDATES_V2: () =>
    'the trade-updates v2 topic is not supported; TOPIC_TRADE_UPDATES gets every update',
  ENABLE_TRADES_BACKFILL: (raw) =>
    raw.trim().toLowerCase() === 'false'
      ? null
      : 'a start-up trades backfill is not supported (trades missed during a reconnect are gap-filled: ENABLE_TRADES_GAP_FILL); set false or remove',
  TRADES_BACKFILL_LOOKBACK_HOURS: () =>
    'a start-up trades backfill is not supported (see ENABLE_TRADES_BACKFILL); remove this key',
  TRADES_BACKFILL_MAX_RECORDS: () =>
    'a start-up trades backfill is not supported (see ENABLE_TRADES_BACKFILL); remove this key',
  KAFKA_MAX_REQUEST_SIZE_BYTES: () =>
    'not supported: produce requests are bounded by KAFKA_BATCH_SIZE; remove this key',
  KAFKA_DELIVERY_TIMEOUT_MS: () =>
    'not supported: records wait in the bounded buffer (KAFKA_BUFFER_MEMORY_BYTES) until Kafka takes them, they never time out; remove this key',
  KAFKA_REQUEST_TIMEOUT_MS: () => 'not supported: the Kafka client timeouts are fixed; remove this key',
  KAFKA_MAX_BLOCK_MS: () =>
    'not supported: sends never block the Alpaca reader (bounded buffer instead); remove this key',
  KAFKA_TRUSTSTORE_PATH: () => 'JKS truststores are not supported; give a PEM CA bundle in KAFKA_TLS_CA_FILE',
  KAFKA_TRUSTSTORE_PASSWORD: () =>
    'JKS truststores are not supported; give a PEM CA bundle in KAFKA_TLS_CA_FILE',
  KAFKA_SSL_ENDPOINT_IDENTIFICATION: (raw) =>
    raw.trim().toUpperCase() === 'HTTPS'
      ? null
      : 'only HTTPS (broker host name verified) is supported; turning verification off is not',
  KAFKA_CLIENT_LOG_LEVEL: () => 'not supported: Kafka client logs follow LOG_LEVEL; remove this key',
  HEALTH_NOT_READY_KILL_AFTER_MS: () =>
    'not supported: /healthz does not follow readiness (the operator restarts a pod stuck on 406); remove this key',
  MARKET_DATA_CHANNEL_FRESHNESS_MAX_MS: () => 'not supported by this forwarder; remove this key',
  MARKET_DATA_CHANNEL_FRESHNESS_WARMUP_MS: () => 'not supported by this forwarder; remove this key',
  ALPACA_MARKET_DATA_READ_IDLE_TIMEOUT_MS: () =>
    'not supported: a silent channel is detected by the freshness check (ALPACA_CHANNEL_STALE_AFTER_MS); remove this key',
  DOTENV_PATH: () =>
    'not supported: no .env file is read; use env vars or FORWARDER_CONFIG_FILE; remove this key',
};

/** Observation-feed topics of torghut-ws: TOPIC_<FEED>_TRADES|_QUOTES|_BARS_1M. */
const OBSERVATION_TOPIC = /^TOPIC_(IEX|SIP|DELAYED_SIP|OVERNIGHT)_(TRADES|QUOTES|BARS_1M)$/;

/** Keys whose empty value means something in torghut-ws (not "unset"): checked even when empty. */
const EMPTY_MEANS_SOMETHING = new Set(['KAFKA_SSL_ENDPOINT_IDENTIFICATION']);

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1] as string] = value;
}

function present(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function readEnv(env: Env): EnvReading {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const issues: EnvIssue[] = [];
  for (const [key, path, parse] of ENV_KEYS) {
    const raw = present(env, key);
    if (raw === undefined) continue;
    const parsed = parse(raw);
    if (!parsed.ok) {
      issues.push({ key, message: parsed.message });
      continue;
    }
    setPath(values, path, parsed.value);
    sources.set(path, key);
  }
  const channelsRaw = present(env, 'ALPACA_MARKET_DATA_CHANNELS');
  if (channelsRaw !== undefined) {
    const wanted = (list(channelsRaw) as { value: string[] }).value;
    const byLower = new Map(CHANNEL_NAMES.map((c) => [c.toLowerCase(), c]));
    const unknown = wanted.filter((c) => !byLower.has(c.toLowerCase()));
    if (unknown.length > 0 || wanted.length === 0) {
      issues.push({
        key: 'ALPACA_MARKET_DATA_CHANNELS',
        message:
          wanted.length === 0
            ? 'empty channel list'
            : `unknown channel(s) ${unknown.join(', ')}; allowed: ${CHANNEL_NAMES.join(', ')}`,
      });
    } else {
      const on = new Set(wanted.map((c) => byLower.get(c.toLowerCase())));
      for (const c of CHANNEL_NAMES) {
        setPath(values, `channels.${c}`, on.has(c));
        sources.set(`channels.${c}`, 'ALPACA_MARKET_DATA_CHANNELS');
      }
    }
  }
  for (const [key, check] of Object.entries(UNSUPPORTED)) {
    const raw = EMPTY_MEANS_SOMETHING.has(key) ? env[key] : present(env, key);
    if (raw === undefined) continue;
    const message = check(raw);
    if (message !== null) issues.push({ key, message });
  }
  for (const key of Object.keys(env).sort()) {
    if (OBSERVATION_TOPIC.test(key) && present(env, key) !== undefined)
      issues.push({ key, message: 'observation feeds are not supported; run one forwarder per feed' });
  }
  return {
    values: values as ConfigFileInput,
    sources,
    secrets: {
      alpacaKeyId: present(env, 'ALPACA_KEY_ID'),
      alpacaSecretKey: present(env, 'ALPACA_SECRET_KEY'),
      kafkaSaslPassword: env.KAFKA_SASL_PASSWORD === '' ? undefined : env.KAFKA_SASL_PASSWORD,
    },
    podNamespace: present(env, 'POD_NAMESPACE'),
    configFile: present(env, 'FORWARDER_CONFIG_FILE'),
    issues,
  };
}
