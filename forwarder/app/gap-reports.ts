/**
 * Stream gaps whose events may be missing (design §4.5, nothing lost silently): each is counted,
 * logged and published on the status topic as a `degraded` event carrying the gap bounds.
 */
import type { Logger } from 'pino';
import type { StreamGap } from '../alpaca/types.ts';
import type { ErrorClass } from '../contracts/readiness.ts';
import type { ForwarderMetrics } from '../health/metrics.ts';
import { gapEvent, type StatusEvent } from '../status/status-event.ts';

export interface GapReportDeps {
  feed: string;
  metrics: Pick<ForwarderMetrics, 'gapFillFailure' | 'statusEventsPublished'>;
  publish(event: StatusEvent): void;
  logger: Logger;
  now(): number;
}

export interface GapReports {
  /** A market-data gap REST could not fill (after the REST client's own retries). */
  fillFailed(gap: StreamGap, error: { errorClass: ErrorClass; reason: string }): void;
}

export function createGapReports(deps: GapReportDeps): GapReports {
  return {
    fillFailed(gap, error) {
      deps.metrics.gapFillFailure('market_data', error.reason);
      deps.logger.error({ gap, ...error }, 'gap could not be filled; events in it may be missing');
      deps.publish(gapEvent('market_data', error.reason, error.errorClass, gap, deps.now(), deps.feed));
      deps.metrics.statusEventsPublished('market_data');
    },
  };
}
