/**
 * The subscription check's results → the missing-symbols metric, the /readyz detail (bounded list
 * + count) and the fields the degraded status event carries. Keeps only the latest check.
 */
import { boundedMissing, type SubscriptionCheck } from '../alpaca/market-data-stream.ts';
import { EMPTY_SUBSCRIPTIONS } from '../alpaca/subscriptions.ts';
import type { SubscriptionSet } from '../alpaca/types.ts';
import type { SubscriptionMetrics } from '../health/subscription-metrics.ts';

/** Symbols per channel shown in readiness detail and status events. */
export const MISSING_LIST_MAX = 20;

export interface SubscriptionReports {
  check(check: SubscriptionCheck): void;
  resubscribed(set: SubscriptionSet): void;
  /** `detail.subscriptions` of /readyz; null before the first check. */
  detail(): Record<string, unknown> | null;
  /** `missing_count` and `missing_symbols` for the status event, or null when nothing is missing. */
  eventFields(): { missing_count: number; missing_symbols: Record<string, string[]> } | null;
  /** Fresh streams: the old checks no longer apply. */
  reset(): void;
}

export function createSubscriptionReports(metrics: SubscriptionMetrics): SubscriptionReports {
  let last: SubscriptionCheck | null = null;
  return {
    check(c) {
      last = c;
      metrics.missing(c.missing);
    },
    resubscribed: (set) => metrics.resubscribed(set),
    detail() {
      if (last === null) return null;
      return {
        missing_count: last.missingCount,
        missing: boundedMissing(last.missing, MISSING_LIST_MAX),
        resubscribe_attempts: last.resubscribeAttempts,
        retrying: last.retrying,
        checked_at: new Date(last.atMs).toISOString(),
      };
    },
    eventFields() {
      if (last === null || last.missingCount === 0) return null;
      return {
        missing_count: last.missingCount,
        missing_symbols: boundedMissing(last.missing, MISSING_LIST_MAX) as Record<string, string[]>,
      };
    },
    reset() {
      last = null;
      metrics.missing(EMPTY_SUBSCRIPTIONS);
    },
  };
}
