/**
 * Wiring: config → logger/metrics → health server → Kafka sink → pipeline → Alpaca streams,
 * config watch, gap fill; signals → graceful shutdown. Every part is created here and nowhere
 * else; each module below has one job and is tested on its own.
 */
import { hostname } from 'node:os';
import type { DestinationStream, Logger } from 'pino';
import type { ReadinessBody } from '../../contracts/readiness.ts';
import { systemClock } from '../../lib/time/clock.ts';
import { createCalendarSource } from '../alpaca/calendar-source.ts';
import { type DecodeIssue, issueChannel } from '../alpaca/decode-issues.ts';
import { SUBSCRIPTION_INCOMPLETE } from '../alpaca/market-data-stream.ts';
import type { StreamState } from '../alpaca/types.ts';
import { type Env, readEnv } from '../config/env.ts';
import { readHeaderDir } from '../config/header-files.ts';
import { loadConfig } from '../config/load.ts';
import { allowedSymbols, ConfigError, type Resolved } from '../config/resolve.ts';
import { subscriptionsFor } from '../config/subscriptions.ts';
import { createSymbolsPoller } from '../config/symbols-source.ts';
import type { ForwarderConfig } from '../config/types.ts';
import { type ConfigWatcher, watchConfigFile } from '../config/watch.ts';
import { createMetrics } from '../health/metrics.ts';
import { type HealthServer, startHealthServer } from '../health/server.ts';
import { createSubscriptionMetrics, createSymbolsSourceMetrics } from '../health/subscription-metrics.ts';
import { createKafkaSink, type EventSink, KafkaSinkConfigError } from '../kafka/sink.ts';
import type { KubeClientConfig } from '../lease/kube-config.ts';
import { createLeaseMetric } from '../lease/metrics.ts';
import { setupConnectionLease } from '../lease/setup.ts';
import { createLogger } from '../log/logger.ts';
import { DedupCache } from '../pipeline/dedup.ts';
import { createPipeline } from '../pipeline/pipeline.ts';
import { SeqAllocator } from '../pipeline/seq.ts';
import { systemMicros } from '../pipeline/time.ts';
import { createHeartbeat } from '../status/heartbeat.ts';
import { createOverflowReporter } from '../status/overflow-reporter.ts';
import { createStatusPublisher, STATUS_LANE_BYTES } from '../status/publisher.ts';
import { freshnessEvent, lagEvent } from '../status/status-event.ts';
import { createBackfillPace } from './backfill-pace.ts';
import { createFreshnessMonitor } from './freshness.ts';
import { createGapReports } from './gap-reports.ts';
import { createLagMonitor } from './lag-monitor.ts';
import { createReadinessWiring } from './readiness-wiring.ts';
import { shutdown } from './shutdown.ts';
import { allTopics, sinkConfigFor } from './sink-config.ts';
import { createStreams } from './streams.ts';
import { createSubscriptionReports } from './subscription-reports.ts';

export interface RunOptions {
  env: Env;
  /** Process exit (injectable for tests that run the app in-process). */
  exit(code: number): void;
  /** Where ConfigError text goes before a logger exists. */
  stderr(text: string): void;
  /** Register signal handlers (default: process.once). */
  onSignal?(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  /** Health server bind address (default 0.0.0.0). */
  host?: string;
  /** Log destination (default stdout). */
  logDestination?: DestinationStream;
  /** Kubernetes client config for the Lease (default: KUBECONFIG, ~/.kube/config or in-cluster). */
  kubeConfig?: KubeClientConfig;
  /** Called once the logger exists, before anything else starts (main routes process warnings). */
  onLogger?(logger: Logger): void;
}

export interface RunningForwarder {
  config: ForwarderConfig;
  health: HealthServer;
  stop(signal?: string): Promise<number>;
}

export async function runForwarder(options: RunOptions): Promise<RunningForwarder | null> {
  const startMs = Date.now();
  let resolved: Resolved;
  try {
    resolved = await loadConfig(options.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    options.stderr(`${err.message}\n`);
    options.exit(2);
    return null;
  }
  const { config } = resolved;
  const logger = createLogger(config.logLevel, options.logDestination);
  options.onLogger?.(logger);
  if (resolved.overriddenEnvKeys.length > 0) {
    logger.warn({ env_keys: resolved.overriddenEnvKeys }, 'env settings overridden by the config file');
  }
  logger.info(
    {
      feed: config.alpaca.feed,
      symbols: config.symbols.length,
      channels: config.channels,
      trade_updates: config.tradeUpdates.enabled,
      kafka: { brokers: config.kafka.brokers, security_protocol: config.kafka.securityProtocol },
      config_file: config.configFile,
      node: process.version,
    },
    'forwarder starting',
  );

  const metrics = createMetrics();
  // Exported at 0 per topic so the overflow alert sees the first dropped record.
  for (const topic of allTopics(config)) metrics.sink.overflowed?.(topic, 0);
  let sink: EventSink;
  try {
    sink = createKafkaSink(
      {
        ...sinkConfigFor(config),
        // Status events have a lane of their own above the data buffer (overflow reports, reconnects).
        reserved: { topics: [config.kafka.topics.status], bytes: STATUS_LANE_BYTES },
      },
      { logger: logger.child({ component: 'kafka' }), metrics: metrics.sink },
    );
  } catch (err) {
    if (!(err instanceof KafkaSinkConfigError)) throw err;
    options.stderr(`invalid Kafka configuration: ${err.message}\n`);
    options.exit(2);
    return null;
  }

  metrics.backlogFrom(() => {
    const h = sink.health();
    return { events: h.bufferedRecords, bytes: h.bufferedBytes };
  });
  let overflowDetail: (() => Record<string, unknown>) | null = null;
  const readinessWiring = createReadinessWiring({
    config,
    sink,
    metrics,
    logger,
    kafkaOverflow: () => overflowDetail?.() ?? null,
  });
  const readiness = (): ReadinessBody => readinessWiring.readiness();
  sink.onHealthChange(() => readiness());

  const health = await startHealthServer(
    { readiness, registry: metrics.registry },
    { healthPort: config.health.port, metricsPort: config.health.metricsPort, host: options.host },
  );
  logger.info(
    { health_port: health.healthPort, metrics_port: health.metricsPort },
    'health server listening',
  );

  const seq = new SeqAllocator(startMs);
  const pipeline = createPipeline({
    feed: config.alpaca.feed,
    topics: config.kafka.topics,
    dedup: new DedupCache({ ttlMs: config.dedup.ttlSeconds * 1000, maxEntries: config.dedup.maxEntries }),
    seq,
    sink,
    metrics: metrics.pipeline,
    logger: logger.child({ component: 'pipeline' }),
    nowMicros: systemMicros,
  });
  const publishStatus = createStatusPublisher({
    feed: config.alpaca.feed,
    topic: config.kafka.topics.status,
    sink,
    seq,
    nowMicros: systemMicros,
    logger: logger.child({ component: 'status' }),
  });
  const overflowReporter = createOverflowReporter({
    feed: config.alpaca.feed,
    logger,
    health: () => sink.health(),
    publish: (e) => publishStatus.event(e),
    onOverflowing: (on) => metrics.kafkaOverflowing(on),
  });
  overflowDetail = () => ({ ...overflowReporter.detail() });
  sink.onHealthChange((h) => overflowReporter.onHealth(h));
  const subscriptionReports = createSubscriptionReports(createSubscriptionMetrics(metrics.registry));
  readinessWiring.addDetail('subscriptions', () => subscriptionReports.detail());
  let marketHealthy = false;
  // Periodic heartbeat status events per stream (0 disables), so "quiet" is not "gone".
  const heartbeat = createHeartbeat({
    intervalMs: config.heartbeatIntervalMs,
    clock: systemClock,
    streams: config.tradeUpdates.enabled ? ['market_data', 'trade_updates'] : ['market_data'],
    feedOf: (stream) => (stream === 'trade_updates' ? 'alpaca' : config.alpaca.feed),
    publish: (e) => {
      publishStatus.event(e);
      metrics.statusEventsPublished(e.stream);
    },
  });
  const onState = (state: StreamState): void => {
    if (state.stream === 'market_data') {
      // Silence of a channel counts from the connection going live at the earliest.
      const healthy = state.status === 'healthy';
      if (healthy && !marketHealthy) freshness.connected(state.atMs);
      else if (!healthy && state.status !== 'degraded') freshness.disconnected();
      marketHealthy = healthy || (marketHealthy && state.status === 'degraded');
    }
    readinessWiring.setState(state);
    heartbeat.setState(state.stream, state);
    metrics.streamState(state.stream, state.status);
    if (state.status === 'reconnect' || state.status === 'error') {
      metrics.reconnect(state.stream, state.reason ?? 'unknown');
    }
    // The check is reported before the stream degrades: the event names what is missing.
    const missing =
      state.reason === SUBSCRIPTION_INCOMPLETE.reason ? subscriptionReports.eventFields() : null;
    publishStatus(state, undefined, missing ?? undefined);
    metrics.statusEventsPublished(state.stream);
    readiness();
  };
  const onDecodeIssue = (issue: DecodeIssue): void => {
    if (issue.kind === 'unknown_type') metrics.unknownMessage(issue.stream, issue.type ?? 'none');
    else metrics.pipeline.dropped(issueChannel(issue), issue.reason);
  };

  let stopping = false;
  const stopWaiters: (() => void)[] = [];
  let startSinkDone: Promise<void> = Promise.resolve();
  const gapReports = createGapReports({
    feed: config.alpaca.feed,
    metrics,
    publish: (e) => publishStatus.event(e),
    logger,
    now: Date.now,
  });
  const lagMonitor = createLagMonitor({
    thresholdMs: config.alpaca.lagThresholdMs,
    clock: systemClock,
    onLag: (s) => metrics.wsLagNow(s),
    onChange: ({ lagging, lagMs, atMs }) => {
      // Reported, never acted on: the forwarder keeps reading while it is behind.
      logger[lagging ? 'warn' : 'info'](
        { lag_ms: Math.round(lagMs), threshold_ms: config.alpaca.lagThresholdMs },
        lagging ? 'market-data stream is lagging; still reading' : 'market-data stream caught up',
      );
      publishStatus.event(lagEvent(lagging, lagMs, atMs, config.alpaca.feed));
      metrics.statusEventsPublished('market_data');
      readiness();
    },
  });
  readinessWiring.setLag(() => ({ ...lagMonitor.snapshot(), thresholdMs: config.alpaca.lagThresholdMs }));
  const calendar = createCalendarSource(
    {
      tradingUrl: config.alpaca.tradingUrl,
      credentials: { keyId: config.alpaca.keyId, secretKey: config.alpaca.secretKey },
    },
    { logger, onOrigin: (origin) => metrics.calendarOrigin(origin) },
  );
  let reconnectMarket: () => void = () => {};
  const freshness = createFreshnessMonitor({
    feed: config.alpaca.feed,
    staleAfterMs: config.alpaca.channelStaleAfterMs,
    clock: systemClock,
    phase: (nowMs) => calendar.phase(config.alpaca.feed, nowMs),
    onCheck: (report) => metrics.freshness(report),
    onChange: (report) => {
      const stale = report.staleChannels.length + report.staleSymbols.length > 0;
      logger[stale ? 'warn' : 'info'](
        {
          stale_channels: report.staleChannels,
          stale_symbols: report.staleSymbols.map((s) => `${s.channel}:${s.symbol}`),
          stale_symbol_counts: report.staleCounts,
          phase: report.phase,
        },
        stale ? 'market data is stale' : 'market data is fresh again',
      );
      publishStatus.event(freshnessEvent(report, config.alpaca.feed));
      metrics.statusEventsPublished('market_data');
      readiness();
    },
    onChannelSilent: (channel, silentForMs) => {
      logger.warn(
        { channel, silent_for_ms: silentForMs, threshold_ms: config.alpaca.channelStaleAfterMs },
        'a channel that must flow is silent; reconnecting the market-data stream',
      );
      reconnectMarket();
    },
  });
  freshness.setSubscriptions(subscriptionsFor(config));
  readinessWiring.setFreshness(() => {
    const r = freshness.snapshot();
    const c = calendar.origin();
    return {
      phase: r?.phase ?? 'unknown',
      calendar: c.origin,
      calendarReason: c.reason,
      staleAfterMs: config.alpaca.channelStaleAfterMs,
      staleChannels: r?.staleChannels ?? [],
      staleSymbols: (r?.staleSymbols ?? []).map((s) => `${s.channel}:${s.symbol}`),
      staleCounts: r?.staleCounts ?? { trades: 0, quotes: 0, bars: 0 },
    };
  });
  const streams = createStreams({
    config,
    logger,
    pipeline: {
      handle: (events) => {
        pipeline.handle(events);
        heartbeat.observe(events);
      },
    },
    gapReports,
    onState,
    onDecodeIssue,
    onHeartbeat: (stream) => metrics.heartbeat(stream),
    onMarketEvents: (events) => {
      lagMonitor.observe(events);
      freshness.observe(events);
    },
    onSubscriptionCheck: (check) => {
      subscriptionReports.check(check);
      readiness();
    },
    onResubscribe: (set) => subscriptionReports.resubscribed(set),
    onReplaced: () => {
      readinessWiring.resetStates();
      subscriptionReports.reset();
      heartbeat.setState('market_data', null);
      heartbeat.setState('trade_updates', null);
    },
    isStopping: () => stopping,
    backfillPace: createBackfillPace(sink, config.kafka.maxBufferBytes),
  });
  reconnectMarket = () => streams.reconnectMarket();
  void calendar.start();
  freshness.start();

  // Connect only while holding the Lease named after the key id; a lost Lease closes the sockets
  // at once and they reopen when it is back. Disabled (no Kubernetes access) when lease.enabled
  // is false.
  const leaseMetric = createLeaseMetric(metrics.registry);
  const lease = setupConnectionLease({
    lease: config.lease,
    keyId: config.alpaca.keyId,
    identity: options.env.POD_NAME?.trim() || hostname(),
    connections: streams.connections,
    logger,
    onStatus: (status) => {
      leaseMetric(status);
      readiness();
    },
    ...(options.kubeConfig ? { kubeConfig: options.kubeConfig } : {}),
  });
  readinessWiring.setLease(lease);
  leaseMetric(lease.lease.status());
  heartbeat.start();

  // Desired subscriptions: channels from the (live) config; symbols from symbolsFrom once it
  // answered, else the static list.
  let liveConfig = config;
  let remoteSymbols: string[] | null = null;
  // The live symbol count reaches the operator's status through /readyz.
  readinessWiring.setSymbolCount(() => (remoteSymbols ?? liveConfig.symbols).length);
  const applySubscriptions = (): void => {
    const next = subscriptionsFor({
      symbols: remoteSymbols ?? liveConfig.symbols,
      channels: liveConfig.channels,
    });
    freshness.setSubscriptions(next);
    streams.updateSubscriptions(next);
  };
  let watcher: ConfigWatcher | null = null;
  if (config.configFile) {
    watcher = watchConfigFile(config.configFile, {
      env: readEnv(options.env),
      initial: config,
      logger: logger.child({ component: 'config-watch' }),
      onSubscriptions: (next) => {
        liveConfig = next;
        applySubscriptions();
      },
      onResult: (result) => metrics.configReloads(result),
    });
  }
  const symbolsMetrics = createSymbolsSourceMetrics(metrics.registry);
  const symbolsPoller = config.symbolsFrom
    ? createSymbolsPoller({
        url: config.symbolsFrom.url,
        intervalMs: config.symbolsFrom.pollIntervalSeconds * 1000,
        logger,
        ...(config.symbolsFrom.headersDir
          ? {
              headers: (
                (dir: string) => () =>
                  readHeaderDir(dir)
              )(config.symbolsFrom.headersDir),
            }
          : {}),
        onResult: (r) => {
          symbolsMetrics.fetched(r.ok ? 'ok' : r.reason);
          if (r.ok) symbolsMetrics.succeeded(r.symbols, r.atMs);
        },
        onSymbols: (symbols) => {
          const allowlist = liveConfig.symbolsAllowlist;
          const allowed = allowlist ? allowedSymbols(symbols, allowlist) : symbols;
          if (allowed.length < symbols.length) {
            logger.warn(
              { symbols: symbols.length, notAllowed: symbols.length - allowed.length },
              allowed.length === 0
                ? 'symbolsFrom: no symbol of the answer is in the allowlist; the previous list stays'
                : 'symbolsFrom: symbols outside the allowlist are left out',
            );
            if (allowed.length === 0) return;
          }
          remoteSymbols = allowed;
          applySubscriptions();
        },
      })
    : null;

  if (symbolsPoller) {
    readinessWiring.addDetail('symbols_source', () => {
      const s = symbolsPoller.status();
      const age = s.last_success_at === null ? null : Date.now() - Date.parse(s.last_success_at);
      return { ...s, last_success_age_ms: age };
    });
  }

  let stopped: Promise<number> | null = null;
  const stop = (signal = 'stop'): Promise<number> => {
    stopped ??= (async () => {
      stopping = true;
      for (const w of stopWaiters.splice(0)) w();
      return shutdown(
        {
          logger,
          gracePeriodMs: config.shutdown.gracePeriodMs,
          sink,
          stopSources: async () => {
            watcher?.close();
            symbolsPoller?.stop();
            await startSinkDone.catch(() => {});
            // Close frames first, then the Lease is released: the next holder may connect at once.
            await lease.lease.shutdown();
          },
          release: () => {
            overflowReporter.stop();
            lagMonitor.stop();
            freshness.stop();
            calendar.stop();
            heartbeat.stop();
            return health.close();
          },
        },
        signal,
      );
    })();
    return stopped;
  };
  const onSignal = options.onSignal ?? ((s, h) => process.once(s, h));
  for (const s of ['SIGTERM', 'SIGINT'] as const) {
    onSignal(s, () => {
      void stop(s).then((code) => options.exit(code));
    });
  }

  // Kafka first: the Alpaca slot is only taken once Kafka accepts records (reading data that
  // cannot be delivered would only fill the bounded buffer). start() resolves after the first
  // connect attempt, good or bad; the sink keeps retrying and reports through onHealthChange.
  startSinkDone = (async () => {
    await sink.start();
    if (sink.health().ok || stopping) return;
    const h = sink.health();
    logger.error(
      { error_class: h.errorClass, reason: h.reason },
      'Kafka not available; waiting before connecting to Alpaca',
    );
    await new Promise<void>((resolve) => {
      const off = sink.onHealthChange((next) => {
        if (next.ok || stopping) {
          off();
          resolve();
        }
      });
      stopWaiters.push(() => {
        off();
        resolve();
      });
    });
  })();
  startSinkDone = startSinkDone.then(async () => {
    if (stopping) return;
    // The first symbolsFrom answer (or its failure) before connecting: subscribe once, right.
    await symbolsPoller?.start();
  });
  void startSinkDone.then(() => {
    // Connects once the Lease is ours (at once when the Lease is disabled).
    if (!stopping) lease.lease.start();
  });

  return { config, health, stop };
}
