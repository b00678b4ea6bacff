import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { configFileSchema } from '../../../../contracts/config-file.ts';
import { readEnv } from '../../../../forwarder/config/env.ts';
import { loadConfig } from '../../../../forwarder/config/load.ts';
import { ConfigError, resolveConfig } from '../../../../forwarder/config/resolve.ts';
import { baseEnv } from '../../../support/forwarder-env.ts';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('config from env', () => {
  test('defaults: topics, feed, channels, Kafka producer settings', () => {
    const { config } = resolveConfig(readEnv(baseEnv()), null);
    assert.deepEqual(config.kafka.topics, {
      trades: 'torghut.trades.v1',
      quotes: 'torghut.quotes.v1',
      bars: 'torghut.bars.1m.v1',
      status: 'torghut.status.v1',
      tradeUpdates: 'torghut.trade-updates.v1',
    });
    assert.equal(config.feed, 'iex');
    assert.equal(config.encoding, 'msgpack', 'msgpack frames by default, as the official SDKs');
    assert.equal(config.perMessageDeflate, false, 'uncompressed frames by default (measured)');
    assert.equal(config.lagThresholdMs, 2_000);
    assert.equal(config.channelStaleAfterMs, 180_000);
    assert.equal(config.tradingUrl, 'https://api.alpaca.markets', 'no trade stream: the live trading API');
    assert.equal(config.streamUrl, 'wss://stream.data.alpaca.markets');
    assert.deepEqual(config.channels, {
      trades: true,
      quotes: true,
      bars: true,
      updatedBars: true,
      statuses: false,
    });
    assert.equal(config.kafka.producer.acks, -1);
    assert.equal(config.kafka.sasl, null);
    assert.deepEqual(config.symbols, ['AAPL', 'MSFT']);
    assert.equal(config.tradeUpdates.enabled, false);
    assert.equal(config.tradeUpdates.reconcileFills, true, 'fills of a gap reconciled by default');
    assert.equal(config.heartbeatIntervalMs, 30_000);
    assert.equal(config.lease.enabled, false);
  });

  test('existing deployment env names are honoured', () => {
    const { config } = resolveConfig(
      readEnv(
        baseEnv({
          ALPACA_FEED: 'SIP',
          ALPACA_STREAM_URL: 'ws://127.0.0.1:1234/',
          ALPACA_BASE_URL: 'http://127.0.0.1:1235',
          SYMBOLS: 'nvda, amd,NVDA',
          ENABLE_TRADE_UPDATES: 'true',
          ALPACA_TRADE_STREAM_URL: 'ws://127.0.0.1:1236/stream',
          ENABLE_BARS_BACKFILL: 'TRUE',
          RECONNECT_BASE_MS: '100',
          RECONNECT_MAX_MS: '2000',
          DEDUP_TTL_SEC: '5',
          DEDUP_MAX_ENTRIES: '10000',
          KAFKA_BOOTSTRAP: 'a:9092,b:9092',
          KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
          KAFKA_SASL_MECH: 'scram-sha-512',
          KAFKA_SASL_USER: 'torghut-ws',
          KAFKA_SASL_PASSWORD: 'pw',
          KAFKA_LINGER_MS: '20',
          KAFKA_BATCH_SIZE: '65536',
          KAFKA_ACKS: 'all',
          TOPIC_TRADES: 't1',
          TOPIC_QUOTES: 'q1',
          TOPIC_BARS_1M: 'b1',
          TOPIC_STATUS: 's1',
          TOPIC_TRADE_UPDATES: 'tu1',
          METRICS_PORT: '9191',
          HEALTH_PORT: '8181',
          LOG_LEVEL: 'DEBUG',
          ALPACA_MARKET_DATA_CHANNELS: 'trades,QUOTES',
          ALPACA_WS_ENCODING: 'JSON',
          ALPACA_WS_PERMESSAGE_DEFLATE: 'TRUE',
          ALPACA_LAG_THRESHOLD_MS: '5000',
          ALPACA_CHANNEL_STALE_AFTER_MS: '60000',
          ENABLE_TRADE_UPDATES_FILL_RECONCILE: 'false',
          STATUS_HEARTBEAT_INTERVAL_MS: '0',
        }),
      ),
      null,
    );
    assert.equal(config.feed, 'sip');
    assert.equal(config.encoding, 'json');
    assert.equal(config.perMessageDeflate, true);
    assert.equal(config.lagThresholdMs, 5_000);
    assert.equal(config.channelStaleAfterMs, 60_000);
    assert.equal(config.tradingUrl, 'http://127.0.0.1:1236', 'from the trade stream URL');
    assert.equal(config.streamUrl, 'ws://127.0.0.1:1234');
    assert.deepEqual(config.symbols, ['NVDA', 'AMD']);
    assert.deepEqual(config.tradeUpdates, {
      enabled: true,
      streamUrl: 'ws://127.0.0.1:1236/stream',
      reconcileFills: false,
    });
    assert.equal(config.heartbeatIntervalMs, 0);
    assert.equal(config.backfill.bars.enabled, true);
    assert.deepEqual(config.reconnect, { baseMs: 100, maxMs: 2000, cooldown406Ms: 90_000 });
    assert.deepEqual(config.dedup, { ttlSeconds: 5, maxEntries: 10000 });
    assert.deepEqual(config.kafka.bootstrapServers, ['a:9092', 'b:9092']);
    assert.deepEqual(config.kafka.sasl, {
      mechanism: 'SCRAM-SHA-512',
      username: 'torghut-ws',
      password: 'pw',
    });
    assert.equal(config.kafka.producer.lingerMs, 20);
    assert.equal(config.kafka.producer.batchBytes, 65536);
    assert.deepEqual(config.kafka.topics, {
      trades: 't1',
      quotes: 'q1',
      bars: 'b1',
      status: 's1',
      tradeUpdates: 'tu1',
    });
    assert.deepEqual(config.health, { port: 8181, metricsPort: 9191 });
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(config.channels, {
      trades: true,
      quotes: true,
      bars: false,
      updatedBars: false,
      statuses: false,
    });
  });

  test('every bad key is named in one error; numbers and booleans never fall back', () => {
    const err = errorOf(() =>
      resolveConfig(
        readEnv({
          SYMBOLS: 'AAPL,bad symbol!',
          KAFKA_BOOTSTRAP: '127.0.0.1:9092',
          KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
          RECONNECT_BASE_MS: '5s',
          ENABLE_TRADE_UPDATES: 'yes',
          KAFKA_ACKS: 'most',
          ALPACA_FEED: 'nasdaq',
          HEALTH_PORT: '70000',
          ALPACA_MARKET_DATA_CHANNELS: 'trades,candles',
        }),
        null,
      ),
    );
    const text = err.message;
    for (const key of [
      'ALPACA_KEY_ID',
      'ALPACA_SECRET_KEY',
      'SYMBOLS',
      'RECONNECT_BASE_MS',
      'ENABLE_TRADE_UPDATES',
      'KAFKA_ACKS',
      'ALPACA_FEED',
      'HEALTH_PORT',
      'ALPACA_MARKET_DATA_CHANNELS',
    ]) {
      assert.match(text, new RegExp(`${key}:`), `${key} should be named`);
    }
    assert.match(text, /"5s"/);
    assert.match(text, /"yes"/);
  });

  test('cross-field rules: SASL needs user and password, trade updates need a URL, maxMs >= baseMs', () => {
    const err = errorOf(() =>
      resolveConfig(
        readEnv(
          baseEnv({
            KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
            ENABLE_TRADE_UPDATES: 'true',
            RECONNECT_BASE_MS: '5000',
            RECONNECT_MAX_MS: '1000',
          }),
        ),
        null,
      ),
    );
    assert.match(err.message, /KAFKA_SASL_USER/);
    assert.match(err.message, /KAFKA_SASL_PASSWORD: required/);
    assert.match(err.message, /tradeUpdates\.streamUrl|ALPACA_TRADE_STREAM_URL/);
    assert.match(err.message, /RECONNECT_MAX_MS: must be >=/);
  });

  test('unsupported anchor settings are rejected, not ignored', () => {
    const err = errorOf(() => resolveConfig(readEnv(baseEnv({ ALPACA_MARKET_TYPE: 'crypto' })), null));
    assert.match(err.message, /ALPACA_MARKET_TYPE: only equity/);
  });

  test('a URL with user:password@ is refused in every URL setting, naming the key, never echoing the URL', () => {
    const withUserinfo = {
      ALPACA_STREAM_URL: 'wss://u1:pw-stream@stream.example',
      ALPACA_BASE_URL: 'https://u2:pw-data@data.example',
      JANGAR_SYMBOLS_URL: 'https://u3:pw-symbols@jangar.example/symbols',
      ENABLE_TRADE_UPDATES: 'true',
      ALPACA_TRADE_STREAM_URL: 'wss://u4:pw-trade@paper.example/stream',
    };
    const envErr = errorOf(() => resolveConfig(readEnv(baseEnv(withUserinfo)), null));
    for (const key of Object.keys(withUserinfo).filter((k) => k.endsWith('_URL')))
      assert.match(envErr.message, new RegExp(`${key}: .*user`), key);
    const fileErr = errorOf(() =>
      resolveConfig(readEnv(baseEnv()), {
        path: '/etc/forwarder/config.yaml',
        value: {
          streamUrl: 'wss://u1:pw-stream@stream.example',
          dataUrl: 'https://u2:pw-data@data.example',
          symbolsFrom: { url: 'https://u3:pw-symbols@jangar.example/symbols' },
          tradeUpdates: { enabled: true, streamUrl: 'wss://u4:pw-trade@paper.example/stream' },
        },
      }),
    );
    for (const path of ['streamUrl', 'dataUrl', 'symbolsFrom.url', 'tradeUpdates.streamUrl'])
      assert.match(fileErr.message, new RegExp(`config.yaml: ${path.replace('.', '\\.')}: .*user`), path);
    for (const err of [envErr, fileErr]) assert.doesNotMatch(err.message, /pw-|u[1-4]:|\.example/);
    const userOnly = errorOf(() =>
      resolveConfig(readEnv(baseEnv({ ALPACA_BASE_URL: 'https://someone@data.example' })), null),
    );
    assert.match(userOnly.message, /ALPACA_BASE_URL: .*user/);
    assert.doesNotMatch(userOnly.message, /someone/);
  });

  test('secrets are never echoed in errors', () => {
    const err = errorOf(() =>
      resolveConfig(
        readEnv(baseEnv({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'hunter2-secret' })),
        null,
      ),
    );
    assert.doesNotMatch(err.message, /hunter2|test-secret-value|PKTESTKEYID/);
  });
});

describe('config file', () => {
  test('file values win over env, env fills the rest, overridden env keys are reported by name', () => {
    const { config, overriddenEnvKeys } = resolveConfig(readEnv(baseEnv({ TOPIC_TRADES: 'env.trades' })), {
      path: '/etc/forwarder/config.yaml',
      value: { symbols: ['spy'], kafka: { topics: { trades: 'file.trades' } }, channels: { quotes: false } },
    });
    assert.deepEqual(config.symbols, ['SPY']);
    assert.equal(config.kafka.topics.trades, 'file.trades');
    assert.equal(config.kafka.topics.quotes, 'torghut.quotes.v1');
    assert.equal(config.channels.quotes, false);
    assert.equal(config.channels.trades, true);
    assert.deepEqual(overriddenEnvKeys.sort(), ['SYMBOLS', 'TOPIC_TRADES']);
  });

  test('unknown file keys and secret-looking keys are errors naming the file path', () => {
    const err = errorOf(() =>
      resolveConfig(readEnv(baseEnv()), {
        path: '/cfg/f.yaml',
        value: { symbol: ['AAPL'], kafka: { sasl: { password: 'x' } }, dedup: { ttlSeconds: '5' } },
      }),
    );
    assert.match(err.message, /\/cfg\/f\.yaml: symbol/);
    assert.match(err.message, /\/cfg\/f\.yaml: kafka\.sasl\.password/);
    assert.match(err.message, /\/cfg\/f\.yaml: dedup\.ttlSeconds/);
  });

  test('the contract schema has no field for secrets', () => {
    for (const value of [
      { alpaca: { keyId: 'x' } },
      { kafka: { sasl: { password: 'x' } } },
      { secretKey: 'x' },
    ]) {
      assert.equal(configFileSchema.safeParse(value).success, false);
    }
  });

  test('loadConfig reads YAML and JSON files; an unreadable file is a named error together with env errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fwd-config-'));
    const yamlPath = join(dir, 'config.yaml');
    await writeFile(yamlPath, 'symbols: [tsla, aapl]\nfeed: sip\nkafka:\n  producer:\n    lingerMs: 40\n');
    const fromYaml = await loadConfig(baseEnv({ FORWARDER_CONFIG_FILE: yamlPath }));
    assert.deepEqual(fromYaml.config.symbols, ['TSLA', 'AAPL']);
    assert.equal(fromYaml.config.kafka.producer.lingerMs, 40);
    assert.equal(fromYaml.config.configFile, yamlPath);
    const jsonPath = join(dir, 'config.json');
    await writeFile(jsonPath, JSON.stringify({ symbols: ['QQQ'], feed: 'test' }));
    const fromJson = await loadConfig(baseEnv({ FORWARDER_CONFIG_FILE: jsonPath }));
    assert.equal(fromJson.config.feed, 'test');
    await assert.rejects(
      loadConfig({ FORWARDER_CONFIG_FILE: join(dir, 'missing.yaml'), KAFKA_LINGER_MS: 'x' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /FORWARDER_CONFIG_FILE: cannot read .*ENOENT/.test(err.message) &&
        /KAFKA_LINGER_MS/.test(err.message),
    );
    await writeFile(yamlPath, 'symbols: [AAPL\n');
    await assert.rejects(loadConfig(baseEnv({ FORWARDER_CONFIG_FILE: yamlPath })), /not valid YAML\/JSON/);
  });
});

test('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE give the client certificate (mutual TLS); one without the other is refused', () => {
  const tls = {
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_TLS_CERT_FILE: '/tls/user.crt',
    KAFKA_TLS_KEY_FILE: '/tls/user.key',
  };
  const { config } = resolveConfig(readEnv(baseEnv(tls)), null);
  assert.equal(config.kafka.tls.certFile, '/tls/user.crt');
  assert.equal(config.kafka.tls.keyFile, '/tls/user.key');
  const half = errorOf(() =>
    resolveConfig(
      readEnv(baseEnv({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_TLS_CERT_FILE: '/tls/user.crt' })),
      null,
    ),
  );
  assert.ok(half instanceof ConfigError);
  assert.match(half.message, /a client certificate needs its key/);
});
