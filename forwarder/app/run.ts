/**
 * Wiring: config → logger/metrics → health server → Kafka sink → pipeline → Alpaca streams,
 * config watch, gap fill; signals → graceful shutdown. Every part is created here and nowhere
 * else; each module below has one job and is tested on its own.
 */
import { hostname } from 'node:os';
import type { DestinationStream, Logger } from 'pino';
import type { ReadinessBody } from '../../contracts/readiness.ts';
import type { KubeClientConfig } from '../../lib/kube/kube-config.ts';
import { systemClock } from '../../lib/time/clock.ts';
import { type DecodeIssue, issueChannel } from '../alpaca/decode-issues.ts';
import { SUBSCRIPTION_INCOMPLETE } from '../alpaca/market-data-stream.ts';
import type { StreamState } from '../alpaca/types.ts';
import type { Env } from '../config/env.ts';
import { loadConfig } from '../config/load.ts';
import { ConfigError, type Resolved } from '../config/resolve.ts';
import { subscriptionsFor } from '../config/subscriptions.ts';
import type { ForwarderConfig } from '../config/types.ts';
import { createMetrics } from '../health/metrics.ts';
import { type HealthServer, startHealthServer } from '../health/server.ts';
import { createSubscriptionMetrics } from '../health/subscription-metrics.ts';
import { createKafkaSink, type EventSink, KafkaSinkConfigError } from '../kafka/sink.ts';
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
import { createBackfillPace } from './backfill-pace.ts';
import { createGapReports } from './gap-reports.ts';
import { createMarketMonitors } from './market-monitors.ts';
import { createReadinessWiring } from './readiness-wiring.ts';
import { shutdown } from './shutdown.ts';
import { allTopics, sinkConfigFor } from './sink-config.ts';
import { startInOrder } from './start-order.ts';
import { createStreams } from './streams.ts';
import { createSubscriptionReports } from './subscription-reports.ts';
import { createSymbolSources } from './symbol-sources.ts';

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
      feed: config.feed,
      symbols: config.symbols.length,
      channels: config.channels,
      trade_updates: config.tradeUpdates.enabled,
      kafka: { brokers: config.kafka.bootstrapServers, security_protocol: config.kafka.securityProtocol },
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
    feed: config.feed,
    topics: config.kafka.topics,
    dedup: new DedupCache({ ttlMs: config.dedup.ttlSeconds * 1000, maxEntries: config.dedup.maxEntries }),
    seq,
    sink,
    metrics: metrics.pipeline,
    logger: logger.child({ component: 'pipeline' }),
    nowMicros: systemMicros,
  });
  const publishStatus = createStatusPublisher({
    feed: config.feed,
    topic: config.kafka.topics.status,
    sink,
    seq,
    nowMicros: systemMicros,
    logger: logger.child({ component: 'status' }),
  });
  const overflowReporter = createOverflowReporter({
    feed: config.feed,
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
    feedOf: (stream) => (stream === 'trade_updates' ? 'alpaca' : config.feed),
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
  const starting = new AbortController();
  const gapReports = createGapReports({
    feed: config.feed,
    metrics,
    publish: (e) => publishStatus.event(e),
    logger,
    now: Date.now,
  });
  let reconnectMarket: () => void = () => {};
  const monitors = createMarketMonitors({
    config,
    logger,
    metrics,
    readinessWiring,
    publish: (e) => {
      publishStatus.event(e);
      metrics.statusEventsPublished('market_data');
    },
    refreshReadiness: () => readiness(),
    reconnectMarket: () => reconnectMarket(),
  });
  const { freshness } = monitors;
  freshness.setSubscriptions(subscriptionsFor(config));
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
      monitors.lag.observe(events);
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
    backfillPace: createBackfillPace(sink, config.kafka.producer.maxBufferBytes),
  });
  reconnectMarket = () => streams.reconnectMarket();
  metrics.readBacklogFrom(() => streams.marketReadBacklog());
  monitors.start();

  // Connect only while holding the Lease named after the key id; a lost Lease closes the sockets
  // at once and they reopen when it is back. Disabled (no Kubernetes access) when lease.enabled
  // is false.
  const leaseMetric = createLeaseMetric(metrics.registry);
  const lease = setupConnectionLease({
    lease: config.lease,
    keyId: config.credentials.keyId,
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

  const sources = createSymbolSources({
    config,
    env: options.env,
    logger,
    metrics,
    readinessWiring,
    onSubscriptions: (next) => {
      freshness.setSubscriptions(next);
      streams.updateSubscriptions(next);
    },
  });

  let stopped: Promise<number> | null = null;
  const stop = (signal = 'stop'): Promise<number> => {
    stopped ??= (async () => {
      stopping = true;
      starting.abort();
      return shutdown(
        {
          logger,
          gracePeriodMs: config.shutdown.gracePeriodMs,
          sink,
          stopSources: async () => {
            sources.stop();
            await started.catch(() => {});
            // Close frames first, then the Lease is released: the next holder may connect at once.
            await lease.lease.shutdown();
          },
          release: () => {
            overflowReporter.stop();
            monitors.stop();
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

  // Kafka first, then the first symbolsFrom answer, then the Lease (and so the streams); stop()
  // aborts the sequence (forwarder/app/start-order.ts).
  const { poller } = sources;
  const started = startInOrder({
    sink,
    firstSymbols: poller ? () => poller.start() : null,
    startLease: () => lease.lease.start(),
    logger,
    signal: starting.signal,
  });
  started.catch((err) => logger.error({ err }, 'start-up failed'));

  return { config, health, stop };
}
