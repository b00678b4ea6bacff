/**
 * The market-data stream's watchers, wired: the lag monitor (reported, never acted on), the market
 * calendar and the freshness monitor on it (a silent must-flow channel reconnects the stream).
 * Each reports through a log line, a status event and readiness; this module only connects them.
 */
import type { Logger } from 'pino';
import { systemClock } from '../../lib/time/clock.ts';
import { createCalendarSource } from '../alpaca/calendar-source.ts';
import type { ForwarderConfig } from '../config/types.ts';
import type { ForwarderMetrics } from '../health/metrics.ts';
import type { StatusEvent } from '../status/status-event.ts';
import { freshnessEvent, lagEvent } from '../status/status-event.ts';
import { createFreshnessMonitor, type FreshnessMonitor } from './freshness.ts';
import { createLagMonitor, type LagMonitor } from './lag-monitor.ts';
import type { ReadinessWiring } from './readiness-wiring.ts';

export interface MarketMonitorDeps {
  config: ForwarderConfig;
  logger: Logger;
  metrics: ForwarderMetrics;
  readinessWiring: ReadinessWiring;
  /** Publishes a market-data status event (and counts it). */
  publish(event: StatusEvent): void;
  /** Re-evaluates readiness after a change. */
  refreshReadiness(): void;
  /** Reconnects the market-data stream (a must-flow channel is silent). */
  reconnectMarket(): void;
}

export interface MarketMonitors {
  lag: LagMonitor;
  freshness: FreshnessMonitor;
  start(): void;
  stop(): void;
}

export function createMarketMonitors(d: MarketMonitorDeps): MarketMonitors {
  const { config, logger, metrics, readinessWiring } = d;
  const { lagThresholdMs, channelStaleAfterMs, feed } = config;
  const lag = createLagMonitor({
    thresholdMs: lagThresholdMs,
    clock: systemClock,
    onLag: (s) => metrics.wsLagNow(s),
    onChange: ({ lagging, lagMs, atMs }) => {
      // Reported, never acted on: the forwarder keeps reading while it is behind.
      logger[lagging ? 'warn' : 'info'](
        { lag_ms: Math.round(lagMs), threshold_ms: lagThresholdMs },
        lagging ? 'market-data stream is lagging; still reading' : 'market-data stream caught up',
      );
      d.publish(lagEvent(lagging, lagMs, atMs, feed));
      d.refreshReadiness();
    },
  });
  readinessWiring.setLag(() => ({ ...lag.snapshot(), thresholdMs: lagThresholdMs }));

  const calendar = createCalendarSource(
    {
      tradingUrl: config.tradingUrl,
      credentials: config.credentials,
    },
    { logger, onOrigin: (origin) => metrics.calendarOrigin(origin) },
  );
  const freshness = createFreshnessMonitor({
    feed,
    staleAfterMs: channelStaleAfterMs,
    clock: systemClock,
    phase: (nowMs) => calendar.phase(feed, nowMs),
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
      d.publish(freshnessEvent(report, feed));
      d.refreshReadiness();
    },
    onChannelSilent: (channel, silentForMs) => {
      logger.warn(
        { channel, silent_for_ms: silentForMs, threshold_ms: channelStaleAfterMs },
        'a channel that must flow is silent; reconnecting the market-data stream',
      );
      d.reconnectMarket();
    },
  });
  readinessWiring.setFreshness(() => {
    const r = freshness.snapshot();
    const c = calendar.origin();
    return {
      phase: r?.phase ?? 'unknown',
      calendar: c.origin,
      calendarReason: c.reason,
      staleAfterMs: channelStaleAfterMs,
      staleChannels: r?.staleChannels ?? [],
      staleSymbols: (r?.staleSymbols ?? []).map((s) => `${s.channel}:${s.symbol}`),
      staleCounts: r?.staleCounts ?? { trades: 0, quotes: 0, bars: 0 },
    };
  });

  return {
    lag,
    freshness,
    start() {
      void calendar.start();
      freshness.start();
    },
    stop() {
      lag.stop();
      freshness.stop();
      calendar.stop();
    },
  };
}
