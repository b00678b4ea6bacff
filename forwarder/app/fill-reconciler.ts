/**
 * Trade-updates gap reconciliation (design §4.5): after a gap in the trading stream, the fills
 * Alpaca made in it are fetched from the account activities (fill-activities.ts) and forwarded as
 * `source: rest` trade updates; the pipeline's dedup drops those the stream did deliver (same
 * key). Every gap is still reported (gap-reports.ts): non-fill updates (new, canceled, ...) cannot
 * be recovered, and a REST failure leaves fills missing. Gaps are handled one at a time, in order.
 */
import type { Logger } from 'pino';
import type { ErrorClass } from '../../contracts/readiness.ts';
import type { DecodeIssueSink } from '../alpaca/decode-issues.ts';
import type { FillActivities } from '../alpaca/fill-activities.ts';
import { AlpacaRestError } from '../alpaca/rest-client.ts';
import type { AlpacaEvent, StreamGap } from '../alpaca/types.ts';
import type { GapReports } from './gap-reports.ts';

/**
 * The window starts this long before the gap: the gap starts at the last update *received*, and a
 * fill Alpaca made just before it may still have been in flight. Dedup (TTL 300 s by default)
 * drops the ones that did arrive.
 */
export const FILL_WINDOW_LEAD_MS = 60_000;

export interface FillReconcilerDeps {
  activities: FillActivities;
  gapReports: Pick<GapReports, 'tradeUpdatesGap'>;
  onEvents(batch: AlpacaEvent[]): void;
  onDecodeIssue?: DecodeIssueSink;
  logger: Logger;
  /** True once shutdown began: results are no longer forwarded. */
  isStopping?(): boolean;
}

export interface FillReconciler {
  reconcile(gap: StreamGap): void;
  /** Resolves when every queued gap has been handled. */
  idle(): Promise<void>;
}

export function createFillReconciler(deps: FillReconcilerDeps): FillReconciler {
  const logger = deps.logger.child({ component: 'trade-updates-reconcile' });
  let chain: Promise<void> = Promise.resolve();
  const deliver = (events: AlpacaEvent[]): void => {
    if (events.length === 0 || deps.isStopping?.()) return;
    try {
      deps.onEvents(events);
    } catch (err) {
      logger.error({ err, events: events.length }, 'onEvents handler threw on reconciled fills');
    }
  };
  async function run(gap: StreamGap): Promise<void> {
    const window = { afterMs: gap.fromMs - FILL_WINDOW_LEAD_MS, untilMs: gap.toMs };
    try {
      const result = await deps.activities.fills(window);
      deliver(result.events);
      for (const d of result.dropped) {
        deps.onDecodeIssue?.({
          stream: 'trade_updates',
          kind: 'malformed_message',
          type: 'FILL',
          reason: d.reason,
          atMs: gap.toMs,
        });
      }
      logger.info(
        {
          gap: { from_ms: gap.fromMs, to_ms: gap.toMs },
          fills: result.events.length,
          dropped: result.dropped.length,
          pages: result.pages,
        },
        'trade-updates gap: fills reconciled over REST',
      );
      const first = result.dropped[0];
      deps.gapReports.tradeUpdatesGap(gap, {
        fillsFetched: result.events.length,
        ...(first ? { error: { errorClass: 'unknown' as ErrorClass, reason: first.reason } } : {}),
      });
    } catch (err) {
      const rest = err instanceof AlpacaRestError ? err : null;
      const partial = rest?.partialEvents ?? [];
      const error = rest
        ? { errorClass: rest.errorClass, reason: rest.reason }
        : { errorClass: 'unknown' as ErrorClass, reason: 'alpaca_activities_failed' };
      logger.error(
        {
          gap: { from_ms: gap.fromMs, to_ms: gap.toMs },
          error_class: error.errorClass,
          reason: error.reason,
          err,
          delivered_fills: partial.length,
        },
        'trade-updates gap: fills could not be reconciled; those fetched before the failure are delivered',
      );
      deliver(partial);
      deps.gapReports.tradeUpdatesGap(gap, { fillsFetched: partial.length, error });
    }
  }
  return {
    reconcile(gap) {
      chain = chain.then(() => run(gap));
    },
    idle: () => chain,
  };
}
