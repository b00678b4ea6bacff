/**
 * Stream gaps whose events may be missing (design §4.5, nothing lost silently): each is counted,
 * logged and published on the status topic as a `degraded` event carrying the gap bounds (and,
 * for trade updates, how many fills were recovered over REST).
 */
import type { Logger } from 'pino';
import type { ErrorClass } from '../../contracts/readiness.ts';
import type { StreamGap } from '../alpaca/types.ts';
import type { ForwarderMetrics } from '../health/metrics.ts';
import { gapEvent, type StatusEvent } from '../status/status-event.ts';

export interface GapReportDeps {
  feed: string;
  metrics: Pick<ForwarderMetrics, 'gapFillFailure' | 'tradeUpdatesGap' | 'statusEventsPublished'>;
  publish(event: StatusEvent): void;
  logger: Logger;
  now(): number;
}

export interface GapReports {
  /** A market-data gap REST could not fill (after the REST client's own retries). */
  fillFailed(gap: StreamGap, error: { errorClass: ErrorClass; reason: string }): void;
  /**
   * A trade-updates gap (reconnect, lost Lease): Alpaca does not replay order updates. Fills in it
   * may have been recovered over REST (`recovery`, see fill-reconciler.ts); other updates (new,
   * canceled, ...) cannot be, so every gap is reported.
   */
  tradeUpdatesGap(gap: StreamGap, recovery?: FillRecovery): void;
}

/** What the fill reconciliation of a trade-updates gap achieved. */
export interface FillRecovery {
  fillsFetched: number;
  /** Set when not every fill could be recovered (REST failure, unmappable activity). */
  error?: { errorClass: ErrorClass; reason: string };
}

export function createGapReports(deps: GapReportDeps): GapReports {
  return {
    fillFailed(gap, error) {
      deps.metrics.gapFillFailure('market_data', error.reason);
      deps.logger.error(
        {
          gap: { from_ms: gap.fromMs, to_ms: gap.toMs },
          error_class: error.errorClass,
          reason: error.reason,
        },
        'gap could not be filled; events in it may be missing',
      );
      deps.publish(gapEvent('market_data', error.reason, error.errorClass, gap, deps.now(), deps.feed));
      deps.metrics.statusEventsPublished('market_data');
    },
    tradeUpdatesGap(gap, recovery) {
      deps.metrics.tradeUpdatesGap();
      const event = gapEvent(
        'trade_updates',
        'trade_updates_gap',
        recovery?.error?.errorClass ?? null,
        gap,
        deps.now(),
        'alpaca',
      );
      if (recovery !== undefined) {
        event.fills_fetched = recovery.fillsFetched;
        if (recovery.error !== undefined) {
          event.fills_error = recovery.error.reason;
          deps.metrics.gapFillFailure('trade_updates', recovery.error.reason);
        }
      }
      deps.logger.warn(
        {
          gap: { from_ms: gap.fromMs, to_ms: gap.toMs },
          fills_fetched: recovery?.fillsFetched,
          fills_error: recovery?.error?.reason,
        },
        recovery === undefined
          ? 'trade-updates gap: order updates in it may be missing (not replayed)'
          : recovery.error === undefined
            ? 'trade-updates gap: fills recovered over REST; other order updates in it may be missing'
            : 'trade-updates gap: fills could not all be recovered over REST; order updates in it may be missing',
      );
      deps.publish(event);
      deps.metrics.statusEventsPublished('trade_updates');
    },
  };
}
