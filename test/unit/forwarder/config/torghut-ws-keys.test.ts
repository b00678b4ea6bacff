/**
 * Migration from torghut-ws: every setting torghut-ws reads (its ForwarderConfig.fromEnv, the
 * logback levels and the dotenv loader) is honoured here or refused with an error naming it;
 * none is silently ignored. One case per key, with a production-like value; the table in
 * docs/forwarder.md ("Migration from torghut-ws") says the same, and the last test holds the two
 * together.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { sinkConfigFor } from '../../../../forwarder/app/sink-config.ts';
import { readEnv } from '../../../../forwarder/config/env.ts';
import { ConfigError, resolveConfig } from '../../../../forwarder/config/resolve.ts';
import type { ForwarderConfig } from '../../../../forwarder/config/types.ts';
import { baseEnv } from '../../../support/forwarder-env.ts';

type Check = (c: ForwarderConfig) => void;
/** key → [value, check of the resolved config] (honoured) or [value, 'refused']. */
type Case = readonly [string, Check | 'refused'];

const eq =
  <T>(get: (c: ForwarderConfig) => T, want: T): Check =>
  (c) =>
    assert.deepEqual(get(c), want);

const CASES: Readonly<Record<string, Case>> = {
  ALPACA_KEY_ID: ['PKMIGRATION00001', eq((c) => c.credentials.keyId, 'PKMIGRATION00001')],
  ALPACA_SECRET_KEY: ['migration-secret-0001', eq((c) => c.credentials.secretKey, 'migration-secret-0001')],
  ALPACA_MARKET_TYPE: ['equity', eq((c) => c.feed, 'iex')],
  ALPACA_FEED: ['delayed_sip', eq((c) => c.feed, 'delayed_sip')],
  ALPACA_CRYPTO_LOCATION: ['us', 'refused'],
  ALPACA_STREAM_URL: ['wss://stream.example.test/', eq((c) => c.streamUrl, 'wss://stream.example.test')],
  ALPACA_BASE_URL: ['https://data.example.test', eq((c) => c.dataUrl, 'https://data.example.test')],
  ALPACA_TRADE_STREAM_URL: [
    'wss://paper-api.alpaca.markets/stream',
    eq((c) => c.tradeUpdates.streamUrl, 'wss://paper-api.alpaca.markets/stream'),
  ],
  ALPACA_MARKET_DATA_CHANNELS: [
    'trades,bars',
    eq((c) => c.channels, { trades: true, quotes: false, bars: true, updatedBars: false, statuses: false }),
  ],
  OPTIONS_MARKET_HOLIDAYS: ['2026-01-01,2026-12-25', 'refused'],
  JANGAR_SYMBOLS_URL: [
    'https://jangar.example.test/symbols',
    eq((c) => c.symbolsFrom?.url, 'https://jangar.example.test/symbols'),
  ],
  SYMBOLS: ['NVDA,AVGO', eq((c) => c.symbols, ['NVDA', 'AVGO'])],
  SYMBOLS_ALLOWLIST: ['nvda,AMD', eq((c) => [c.symbols, c.symbolsAllowlist], [['NVDA'], ['NVDA', 'AMD']])],
  ALPACA_OBSERVATION_SYMBOLS: ['DBC,EFA', 'refused'],
  MARKET_DATA_UNIVERSE_ID: ['cross-asset-taa-v1', 'refused'],
  MARKET_DATA_UNIVERSE_SYMBOL_HASH: ['a'.repeat(64), 'refused'],
  SYMBOLS_POLL_INTERVAL_MS: ['60000', eq((c) => c.symbolsFrom?.pollIntervalSeconds, 60)],
  SUBSCRIBE_BATCH_SIZE: ['200', 'refused'],
  SHARD_COUNT: ['2', 'refused'],
  SHARD_INDEX: ['1', 'refused'],
  ENABLE_TRADE_UPDATES: ['true', eq((c) => c.tradeUpdates.enabled, true)],
  TORGHUT_ACCOUNT_LABEL: ['paper-main', 'refused'],
  ENABLE_BARS_BACKFILL: ['true', eq((c) => c.backfill.bars.enabled, true)],
  BARS_BACKFILL_LOOKBACK_HOURS: ['120', eq((c) => c.backfill.bars.lookbackMinutes, 7200)],
  ENABLE_TRADES_BACKFILL: ['true', 'refused'],
  TRADES_BACKFILL_LOOKBACK_HOURS: ['120', 'refused'],
  TRADES_BACKFILL_MAX_RECORDS: ['50000', 'refused'],
  RECONNECT_BASE_MS: ['250', eq((c) => c.reconnect.baseMs, 250)],
  RECONNECT_MAX_MS: ['20000', eq((c) => c.reconnect.maxMs, 20_000)],
  DEDUP_TTL_SEC: ['5', eq((c) => c.dedup.ttlSeconds, 5)],
  DEDUP_MAX_ENTRIES: ['10000', eq((c) => c.dedup.maxEntries, 10_000)],
  KAFKA_BOOTSTRAP: [
    'kafka-a:9092,kafka-b:9092',
    eq((c) => c.kafka.bootstrapServers, ['kafka-a:9092', 'kafka-b:9092']),
  ],
  KAFKA_CLIENT_ID: ['dorvud-ws', eq((c) => c.kafka.clientId, 'dorvud-ws')],
  KAFKA_LINGER_MS: ['20', eq((c) => sinkConfigFor(c).lingerMs, 20)],
  KAFKA_BATCH_SIZE: ['65536', eq((c) => sinkConfigFor(c).batchBytes, 65_536)],
  KAFKA_BUFFER_MEMORY_BYTES: ['16777216', eq((c) => sinkConfigFor(c).maxBufferBytes, 16_777_216)],
  KAFKA_MAX_REQUEST_SIZE_BYTES: ['524288', 'refused'],
  KAFKA_DELIVERY_TIMEOUT_MS: ['60000', 'refused'],
  KAFKA_REQUEST_TIMEOUT_MS: ['15000', 'refused'],
  KAFKA_MAX_BLOCK_MS: ['10000', 'refused'],
  KAFKA_ACKS: ['1', eq((c) => sinkConfigFor(c).acks, 1)],
  // Carried to the sink's config (the Kafka client writes batches with it).
  KAFKA_COMPRESSION: ['none', eq((c) => sinkConfigFor(c).compression, 'none')],
  KAFKA_SECURITY_PROTOCOL: ['SSL', eq((c) => sinkConfigFor(c).securityProtocol, 'SSL')],
  KAFKA_SASL_USER: ['torghut-ws', eq((c) => c.kafka.sasl?.username, 'torghut-ws')],
  KAFKA_SASL_PASSWORD: ['sasl-password-0001', eq((c) => c.kafka.sasl?.password, 'sasl-password-0001')],
  KAFKA_SASL_MECH: ['SCRAM-SHA-256', eq((c) => c.kafka.sasl?.mechanism, 'SCRAM-SHA-256')],
  KAFKA_TRUSTSTORE_PATH: ['/etc/kafka/truststore.jks', 'refused'],
  KAFKA_TRUSTSTORE_PASSWORD: ['changeit', 'refused'],
  KAFKA_SSL_ENDPOINT_IDENTIFICATION: ['', 'refused'],
  TOPIC_TRADES: ['t.trades', eq((c) => c.kafka.topics.trades, 't.trades')],
  TOPIC_QUOTES: ['t.quotes', eq((c) => c.kafka.topics.quotes, 't.quotes')],
  TOPIC_BARS_1M: ['t.bars', eq((c) => c.kafka.topics.bars, 't.bars')],
  TOPIC_STATUS: ['t.status', eq((c) => c.kafka.topics.status, 't.status')],
  TOPIC_TRADE_UPDATES: ['t.tu', eq((c) => c.kafka.topics.tradeUpdates, 't.tu')],
  TOPIC_TRADE_UPDATES_V2: ['torghut.trade-updates.v2', 'refused'],
  ALPACA_OBSERVATION_FEEDS: ['delayed_sip', 'refused'],
  TOPIC_DELAYED_SIP_TRADES: ['bayn.market-data.delayed-sip.trades.v1', 'refused'],
  TOPIC_DELAYED_SIP_QUOTES: ['bayn.market-data.delayed-sip.quotes.v1', 'refused'],
  TOPIC_DELAYED_SIP_BARS_1M: ['bayn.market-data.delayed-sip.bars.1m.v1', 'refused'],
  TOPIC_OBSERVATION_STATUS: ['bayn.market-data.observation.status.v1', 'refused'],
  HEALTH_PORT: ['8081', eq((c) => c.health.port, 8081)],
  METRICS_PORT: ['9091', eq((c) => c.health.metricsPort, 9091)],
  HEALTH_NOT_READY_KILL_AFTER_MS: ['120000', 'refused'],
  MARKET_DATA_CHANNEL_FRESHNESS_MAX_MS: ['180000', 'refused'],
  MARKET_DATA_CHANNEL_FRESHNESS_WARMUP_MS: ['120000', 'refused'],
  ALPACA_MARKET_DATA_READ_IDLE_TIMEOUT_MS: ['180000', 'refused'],
  LOG_LEVEL: ['WARN', eq((c) => c.logLevel, 'warn')],
  KAFKA_CLIENT_LOG_LEVEL: ['WARN', 'refused'],
  DOTENV_PATH: ['/config/.env', 'refused'],
};

/** Keys whose case needs other keys set to be meaningful (e.g. SASL settings need SASL). */
const CONTEXT: Readonly<Record<string, Record<string, string>>> = {
  ALPACA_TRADE_STREAM_URL: { ENABLE_TRADE_UPDATES: 'true' },
  ENABLE_TRADE_UPDATES: { ALPACA_TRADE_STREAM_URL: 'wss://paper-api.alpaca.markets/stream' },
  JANGAR_SYMBOLS_URL: { SYMBOLS: '' },
  SYMBOLS_POLL_INTERVAL_MS: { JANGAR_SYMBOLS_URL: 'https://jangar.example.test/symbols' },
  SYMBOLS_ALLOWLIST: { SYMBOLS: 'NVDA,AVGO' },
  KAFKA_SASL_USER: { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_PASSWORD: 'p' },
  KAFKA_SASL_PASSWORD: { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USER: 'u' },
  KAFKA_SASL_MECH: {
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_USER: 'u',
    KAFKA_SASL_PASSWORD: 'p',
  },
  KAFKA_SSL_ENDPOINT_IDENTIFICATION: { KAFKA_SECURITY_PROTOCOL: 'SSL' },
};

function resolveWith(env: Record<string, string>): ForwarderConfig | ConfigError {
  try {
    return resolveConfig(readEnv(env), null).config;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

describe('torghut-ws settings: honoured or refused by name, never ignored', () => {
  for (const [key, [value, expect]] of Object.entries(CASES)) {
    test(`${key}=${JSON.stringify(value)} is ${expect === 'refused' ? 'refused, naming it' : 'honoured'}`, () => {
      const got = resolveWith(baseEnv({ ...CONTEXT[key], [key]: value }));
      if (expect === 'refused') {
        assert.ok(got instanceof ConfigError, `${key} was accepted`);
        assert.equal(got.issues.length, 1, got.message);
        assert.match(got.issues[0] as string, new RegExp(`^${key}: `));
        // The refusal never echoes a value (some of these are passwords).
        if (value.length >= 4) assert.ok(!got.message.includes(value), got.message);
      } else {
        assert.ok(!(got instanceof ConfigError), got instanceof ConfigError ? got.message : '');
        expect(got);
      }
    });
  }

  test('the "off" values of refused switches are accepted (nothing to carry out)', () => {
    for (const [key, value] of [
      ['SHARD_COUNT', '1'],
      ['SHARD_INDEX', '0'],
      ['ENABLE_TRADES_BACKFILL', 'false'],
      ['ALPACA_OBSERVATION_FEEDS', ''],
      ['KAFKA_SSL_ENDPOINT_IDENTIFICATION', 'HTTPS'],
    ] as const) {
      const got = resolveWith(baseEnv({ [key]: value }));
      assert.ok(
        !(got instanceof ConfigError),
        `${key}=${value}: ${got instanceof ConfigError ? got.message : ''}`,
      );
    }
  });

  test('KAFKA_COMPRESSION other than lz4/none (gzip, snappy, zstd) is refused naming it', () => {
    for (const codec of ['gzip', 'snappy', 'zstd']) {
      const got = resolveWith(baseEnv({ KAFKA_COMPRESSION: codec }));
      assert.ok(got instanceof ConfigError, codec);
      assert.match(got.message, /KAFKA_COMPRESSION: /);
    }
  });

  test('an allowlist that admits none of SYMBOLS is an error naming it', () => {
    const got = resolveWith(baseEnv({ SYMBOLS: 'AAPL', SYMBOLS_ALLOWLIST: 'NVDA' }));
    assert.ok(got instanceof ConfigError);
    assert.match(got.message, /SYMBOLS_ALLOWLIST: none of the symbols/);
  });

  test('docs/forwarder.md maps every one of these keys', async () => {
    const docs = await readFile(new URL('../../../../docs/forwarder.md', import.meta.url), 'utf8');
    const section = docs.slice(docs.indexOf('## Migration from torghut-ws'));
    assert.ok(section.length > 0, 'no "Migration from torghut-ws" section');
    const missing = Object.keys(CASES).filter(
      (k) => !section.includes(`\`${k.replace(/DELAYED_SIP_/, '<FEED>_')}\``),
    );
    assert.deepEqual(missing, []);
  });
});
