/** Built-in defaults (lowest precedence; env, then the mounted file, override them). */
export const DEFAULTS = {
  feed: 'iex',
  encoding: 'msgpack',
  /** Off: inflating cost the forwarder ~45 % more CPU in ws + decode for 3.7x fewer bytes (bench/README.md). */
  perMessageDeflate: false,
  /** Lag (now − Alpaca event time) above which the forwarder reports `lagging`. */
  lagThresholdMs: 2_000,
  /** Silence after which a channel that must flow (reconnect) or a symbol (reported) is stale. */
  channelStaleAfterMs: 180_000,
  /** Per-stream `heartbeat` status events, so a consumer tells a quiet stream from a gone forwarder. */
  heartbeatIntervalMs: 30_000,
  /** After a trade-updates gap, its fills are fetched from the account activities. */
  reconcileFills: true,
  streamUrl: 'wss://stream.data.alpaca.markets',
  dataUrl: 'https://data.alpaca.markets',
  symbolsPollIntervalSeconds: 30,
  channels: { trades: true, quotes: true, bars: true, updatedBars: true, statuses: false },
  backfill: {
    bars: { enabled: false, lookbackMinutes: 720 },
    gapFill: { enabled: true, trades: true, quotes: false },
  },
  kafka: {
    clientId: 'alpaca-forwarder',
    securityProtocol: 'SASL_SSL',
    saslMechanism: 'SCRAM-SHA-512',
    acks: -1,
    lingerMs: 30,
    batchBytes: 1_048_576,
    maxBufferBytes: 64 * 1024 * 1024,
    compression: 'lz4',
    topics: {
      trades: 'torghut.trades.v1',
      quotes: 'torghut.quotes.v1',
      bars: 'torghut.bars.1m.v1',
      status: 'torghut.status.v1',
      tradeUpdates: 'torghut.trade-updates.v1',
    },
  },
  /** Long enough to cover reconnect overlap and a REST gap fill; the entry cap bounds memory. */
  dedup: { ttlSeconds: 300, maxEntries: 100_000 },
  reconnect: { baseMs: 500, maxMs: 30_000, cooldown406Ms: 90_000 },
  health: { port: 8080, metricsPort: 9090 },
  logLevel: 'info',
  shutdown: { gracePeriodMs: 20_000 },
  lease: { durationSeconds: 15 },
} as const;
