/**
 * Stream gaps whose events may be missing (design §4.5, nothing lost silently): each is counted,
 * logged and published on the status topic as a `degraded` event carrying the gap bounds.
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
   * A trade-updates gap (reconnect, lost Lease): Alpaca does not replay order updates and
   * nothing fills it yet (the REST source would be /v2/account/activities), so it is reported.
   */
  tradeUpdatesGap(gap: StreamGap): void;
}

export function createGapReports(deps: GapReportDeps): GapReports {
  return {
    fillFailed(gap, error) {
      deps.metrics.gapFillFailure('market_data', error.reason);
      deps.logger.error({ gap, ...error }, 'gap could not be filled; events in it may be missing');
      deps.publish(gapEvent('market_data', error.reason, error.errorClass, gap, deps.now(), deps.feed));
      deps.metrics.statusEventsPublished('market_data');
    },
    tradeUpdatesGap(gap) {
      deps.metrics.tradeUpdatesGap();
      deps.logger.warn({ gap }, 'trade-updates gap: order updates in it may be missing (not replayed)');
      deps.publish(gapEvent('trade_updates', 'trade_updates_gap', null, gap, deps.now(), 'alpaca'));
      deps.metrics.statusEventsPublished('trade_updates');
    },
  };
}
