/**
 * Readiness wiring: the latest state of each stream, the Kafka sink's health and the connection
 * Lease → the /readyz body (design §4.9), the readiness metrics, and one log line per change.
 */
import type { Logger } from 'pino';
import type { ReadinessBody } from '../../contracts/readiness.ts';
import type { StreamState } from '../alpaca/types.ts';
import type { ForwarderConfig } from '../config/types.ts';
import type { ForwarderMetrics } from '../health/metrics.ts';
import { evaluateReadiness, type FreshnessDetail, ReadinessTracker } from '../health/readiness.ts';
import type { EventSink } from '../kafka/sink.ts';
import { applyLease } from '../lease/readiness.ts';
import type { LeaseSetup } from '../lease/setup.ts';

export interface ReadinessWiringDeps {
  config: Pick<ForwarderConfig, 'tradeUpdates'>;
  sink: Pick<EventSink, 'health'>;
  metrics: Pick<ForwarderMetrics, 'readiness'>;
  logger: Logger;
  now?: () => number;
  /** The overflow reporter's figures (`detail.kafka_overflow`): overload is visible, not silent. */
  kafkaOverflow?: () => Record<string, unknown> | null;
}

export interface ReadinessWiring {
  /** Records a stream's latest state. */
  setState(state: StreamState): void;
  /** Forgets both streams' states (fresh streams after a lost Lease). */
  resetStates(): void;
  /** The Lease, once set up (readiness may be asked for earlier). */
  setLease(lease: LeaseSetup): void;
  /** Where the market-data lag comes from (shown in detail; never a gate). */
  setLag(lag: () => { lagMs: number | null; lagging: boolean; thresholdMs: number }): void;
  /** A `detail.<key>` section (e.g. `subscriptions`, `symbols_source`); null leaves it out. */
  addDetail(key: string, source: () => Record<string, unknown> | null): void;
  /** Where `symbol_count` (the live symbol count) comes from. */
  setSymbolCount(source: () => number): void;
  /** Where the freshness detail comes from (shown in detail; never a gate). */
  setFreshness(freshness: () => FreshnessDetail | null): void;
  /** Evaluates readiness now: updates the metrics, logs a change, returns the /readyz body. */
  readiness(): ReadinessBody;
}

export function createReadinessWiring(deps: ReadinessWiringDeps): ReadinessWiring {
  const { config, sink, metrics, logger } = deps;
  const states: { market_data: StreamState | null; trade_updates: StreamState | null } = {
    market_data: null,
    trade_updates: null,
  };
  const tracker = new ReadinessTracker(deps.now ?? Date.now);
  let leaseSetup: LeaseSetup | null = null;
  let lag: (() => { lagMs: number | null; lagging: boolean; thresholdMs: number }) | null = null;
  let freshness: (() => FreshnessDetail | null) | null = null;
  let lastReadyLog = '';
  const details = new Map<string, () => Record<string, unknown> | null>();
  let symbolCount: (() => number) | null = null;
  const freshnessDetail = (): { freshness: FreshnessDetail } | null => {
    const f = freshness?.() ?? null;
    return f === null ? null : { freshness: f };
  };
  const readinessState = () =>
    applyLease(
      evaluateReadiness({
        marketData: states.market_data,
        tradeUpdates: config.tradeUpdates.enabled ? states.trade_updates : undefined,
        kafka: sink.health(),
        ...(lag ? { lag: lag() } : {}),
        ...(freshnessDetail() ?? {}),
      }),
      leaseSetup?.lease.status() ?? null,
      leaseSetup?.name ?? null,
    );
  return {
    setState(state) {
      states[state.stream] = state;
    },
    resetStates() {
      states.market_data = null;
      states.trade_updates = null;
    },
    setLease(lease) {
      leaseSetup = lease;
    },
    setLag(source) {
      lag = source;
    },
    addDetail(key, source) {
      details.set(key, source);
    },
    setSymbolCount(source) {
      symbolCount = source;
    },
    setFreshness(source) {
      freshness = source;
    },
    readiness() {
      const state = readinessState();
      const overflow = deps.kafkaOverflow?.() ?? null;
      if (overflow !== null) state.detail = { ...state.detail, kafka_overflow: overflow };
      for (const [key, source] of details) {
        const value = source();
        if (value !== null) state.detail = { ...state.detail, [key]: value };
      }
      metrics.readiness(state);
      const body = tracker.body(state);
      if (symbolCount !== null) body.symbol_count = symbolCount();
      const key = `${body.ready}|${body.error_class}|${body.reason}`;
      if (key !== lastReadyLog) {
        lastReadyLog = key;
        logger.info(
          { ready: body.ready, error_class: body.error_class, reason: body.reason, gates: body.gates },
          'readiness changed',
        );
      }
      return body;
    },
  };
}
