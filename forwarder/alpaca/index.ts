/** Public surface of the forwarder's Alpaca side (see README.md in this folder). */

export type { GapFiller, GapFillerDeps } from './backfill.ts';
export { backfillBars, createGapFiller, fillGap } from './backfill.ts';
export type { BackoffConfig } from './backoff.ts';
export { DEFAULT_BACKOFF, reconnectDelayMs } from './backoff.ts';
export type { Clock, TimerHandle } from './clock.ts';
export { systemClock } from './clock.ts';
export type { ConnectionTiming } from './connection-supervisor.ts';
export { DEFAULT_TIMING } from './connection-supervisor.ts';
export type { DecodeIssue, DecodeIssueSink } from './decode-issues.ts';
export type { Classification, RetryKind } from './error-classification.ts';
export { classifyAlpacaError, classifyClose, classifyUpgradeFailure } from './error-classification.ts';
export type { WireEncoding } from './frame-decode.ts';
export type { MarketDataStream, MarketDataStreamConfig, MarketDataStreamDeps } from './market-data-stream.ts';
export { createMarketDataStream, DEFAULT_STALE_AFTER_MS, marketDataUrl } from './market-data-stream.ts';
export type { FetchLike, RangeQuery, RestClient, RestClientConfig, RestClientDeps } from './rest-client.ts';
export { AlpacaRestError, createRestClient } from './rest-client.ts';
export type { AlpacaCredentials } from './secrets.ts';
export { maskKeyId } from './secrets.ts';
export type { SocketFactory } from './socket.ts';
export { wsSocketFactory } from './socket.ts';
export { diffSubscriptions, EMPTY_SUBSCRIPTIONS, normaliseSubscriptions } from './subscriptions.ts';
export type {
  TradeUpdatesStream,
  TradeUpdatesStreamConfig,
  TradeUpdatesStreamDeps,
} from './trade-updates-stream.ts';
export { createTradeUpdatesStream, tradeUpdatesUrl } from './trade-updates-stream.ts';
export type {
  AlpacaEvent,
  EventChannel,
  StreamGap,
  StreamName,
  StreamState,
  SubscriptionSet,
} from './types.ts';
