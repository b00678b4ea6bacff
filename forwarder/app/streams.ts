/**
 * The Alpaca connections (market data, and trade updates when enabled) as the connection Lease
 * opens and closes them (design §4.1). Streams are single-use (stop() is final): a reopen after a
 * lost Lease creates fresh ones, fills the time without a connection over REST (market data; trade
 * updates: its fills from the account activities) and reports what cannot be filled as a gap.
 * The first open also starts the bars backfill.
 */
import type { Logger } from 'pino';
import { createGapFiller, runStartupBackfill } from '../alpaca/backfill.ts';
import type { DecodeIssue } from '../alpaca/decode-issues.ts';
import { createFillActivities, tradingRestUrl } from '../alpaca/fill-activities.ts';
import {
  createMarketDataStream,
  type MarketDataStream,
  type SubscriptionCheck,
} from '../alpaca/market-data-stream.ts';
import { EMPTY_READ_BACKLOG, type ReadBacklog } from '../alpaca/read-queue.ts';
import { createRestClient } from '../alpaca/rest-client.ts';
import { createTradeUpdatesStream, type TradeUpdatesStream } from '../alpaca/trade-updates-stream.ts';
import type { AlpacaEvent, StreamGap, StreamState, SubscriptionSet } from '../alpaca/types.ts';
import { subscriptionsFor } from '../config/subscriptions.ts';
import type { ForwarderConfig } from '../config/types.ts';
import type { LeasedConnections } from '../lease/connection-lease.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { createFillReconciler } from './fill-reconciler.ts';
import type { GapReports } from './gap-reports.ts';

export interface StreamsDeps {
  config: ForwarderConfig;
  logger: Logger;
  pipeline: Pipeline;
  gapReports: GapReports;
  onState(state: StreamState): void;
  onDecodeIssue(issue: DecodeIssue): void;
  /** A heartbeat frame arrived on `stream` (counted, nothing forwarded). */
  onHeartbeat?(stream: 'trade_updates'): void;
  /** Market-data WS events, after the pipeline handled them (lag measurement). */
  onMarketEvents?(events: readonly AlpacaEvent[]): void;
  /** Each comparison of Alpaca's subscription acks with the wanted set. */
  onSubscriptionCheck?(check: SubscriptionCheck): void;
  /** Symbols an ack left out were subscribed again. */
  onResubscribe?(symbols: SubscriptionSet): void;
  /** Fresh streams replace the old ones (after a lost Lease): their old states no longer apply. */
  onReplaced(): void;
  /** True once shutdown began (late backfill results are not forwarded). */
  isStopping(): boolean;
  /**
   * Awaited before each slice of a REST page (start-up backfill, gap fill) goes to the pipeline:
   * resolves while the Kafka buffer is at or below its high-water mark (see backfill-pace.ts).
   */
  backfillPace?(): Promise<void>;
}

export interface Streams {
  /** Opened and closed by the connection Lease. */
  connections: LeasedConnections;
  /** Subscription diffs on the live market-data socket. */
  updateSubscriptions(next: SubscriptionSet): void;
  /** Reconnects the market-data socket (a channel that must flow is silent). */
  reconnectMarket(): void;
  /** Market-data frames read and not yet handled (the read queue). */
  marketReadBacklog(): ReadBacklog;
}

export function createStreams(deps: StreamsDeps): Streams {
  const { config, logger, pipeline, gapReports, onState, onDecodeIssue } = deps;
  const { credentials } = config;
  const reconnect = {
    baseMs: config.reconnect.baseMs,
    maxMs: config.reconnect.maxMs,
    cooldown406Ms: config.reconnect.cooldown406Ms,
  };
  const rest = createRestClient(
    { dataUrl: config.dataUrl, credentials, feed: config.feed },
    { logger: logger.child({ component: 'alpaca-rest' }), onDecodeIssue },
  );
  let market: MarketDataStream | null = null;
  const desired = (): SubscriptionSet => market?.subscriptions().desired ?? subscriptionsFor(config);
  const gapFiller = config.backfill.gapFill.enabled
    ? createGapFiller({
        rest,
        logger,
        subscriptions: desired,
        onEvents: (events) => pipeline.handle(events),
        onFailure: (gap, cls) => gapReports.fillFailed(gap, cls),
        trades: config.backfill.gapFill.trades,
        quotes: config.backfill.gapFill.quotes,
        ...(deps.backfillPace ? { pace: deps.backfillPace } : {}),
      })
    : null;
  const createMarket = (subscriptions: SubscriptionSet): MarketDataStream =>
    createMarketDataStream(
      {
        streamUrl: config.streamUrl,
        feed: config.feed,
        encoding: config.encoding,
        perMessageDeflate: config.perMessageDeflate,
        readQueue: { maxBytes: config.readQueueMaxBytes },
        credentials,
        subscriptions,
        reconnect,
      },
      {
        logger,
        onEvents: (events) => {
          pipeline.handle(events);
          deps.onMarketEvents?.(events);
        },
        onState,
        onGap: gapFiller ? (gap) => gapFiller.fill(gap) : undefined,
        onDecodeIssue,
        onSubscriptionCheck: deps.onSubscriptionCheck,
        onResubscribe: deps.onResubscribe,
      },
    );
  const tradeStreamUrl = config.tradeUpdates.enabled ? config.tradeUpdates.streamUrl : null;
  // Fills of a trade-updates gap over REST (the trading API's host: the stream URL's, https).
  const reconciler =
    tradeStreamUrl && config.tradeUpdates.reconcileFills
      ? createFillReconciler({
          activities: createFillActivities(
            { tradingUrl: tradingRestUrl(tradeStreamUrl), credentials },
            { logger },
          ),
          gapReports,
          onEvents: (events) => pipeline.handle(events),
          onDecodeIssue,
          logger,
          isStopping: deps.isStopping,
        })
      : null;
  const tradeGap = (gap: StreamGap): void => {
    if (reconciler) reconciler.reconcile(gap);
    else gapReports.tradeUpdatesGap(gap);
  };
  const createTrades = (): TradeUpdatesStream | null =>
    tradeStreamUrl
      ? createTradeUpdatesStream(
          { tradeStreamUrl, credentials, reconnect },
          {
            logger,
            onEvents: (events) => pipeline.handle(events),
            onState,
            onDecodeIssue,
            onGap: tradeGap,
            onHeartbeat: () => deps.onHeartbeat?.('trade_updates'),
          },
        )
      : null;
  market = createMarket(subscriptionsFor(config));
  let trades = createTrades();
  let streamsUsed = false;
  /** When the connections were last closed (lost Lease), for the gap fill after reopening. */
  let closedAtMs: number | null = null;

  const connections: LeasedConnections = {
    open() {
      if (streamsUsed) {
        market = createMarket(desired());
        trades = createTrades();
        deps.onReplaced();
        market.start();
        trades?.start();
        // The time without a connection is a gap like a dropped socket's (dedup drops overlap).
        if (closedAtMs !== null) {
          const gap = { fromMs: closedAtMs, toMs: Date.now() };
          gapFiller?.fill(gap);
          if (trades) tradeGap(gap);
        }
        return;
      }
      streamsUsed = true;
      market?.start();
      trades?.start();
      if (config.backfill.bars.enabled) {
        // Runs beside the live stream (never blocks the socket reader); dedup removes the overlap.
        void runStartupBackfill({
          rest,
          logger,
          subscriptions: desired(),
          nowMs: Date.now(),
          lookbackMinutes: config.backfill.bars.lookbackMinutes,
          onEvents: (events) => {
            if (!deps.isStopping()) pipeline.handle(events);
          },
          ...(deps.backfillPace ? { pace: deps.backfillPace } : {}),
        });
      }
    },
    async close() {
      closedAtMs = Date.now();
      await Promise.all([market?.stop(), trades?.stop()]);
    },
  };
  return {
    connections,
    updateSubscriptions: (next) => market?.updateSubscriptions(next),
    reconnectMarket: () => market?.reconnect(),
    marketReadBacklog: () => market?.readBacklog() ?? EMPTY_READ_BACKLOG,
  };
}
