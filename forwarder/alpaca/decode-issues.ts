/**
 * Frames and messages the streams could not forward: reported to the caller (for metrics and the
 * status topic) and logged, so nothing disappears silently. Logging is paced: the first issue of
 * each kind (kind, reason, bounded type) is logged with its (truncated) type, later ones are
 * counted and logged as one summary line per interval, so a flood of bad frames costs a bounded
 * number of log lines (issue 15: an unpaced fuzz wrote 236 MB of logs in 88 s).
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';
import { messageTypeLabel, truncateForLog } from '../health/label-values.ts';
import { channelOfType } from './message-decode.ts';
import type { StreamName } from './types.ts';

export interface DecodeIssue {
  stream: StreamName;
  kind: 'malformed_frame' | 'malformed_message' | 'unknown_type' | 'not_forwarded';
  /** The message's `T` (or trade-update `stream`/`event`) when known: raw upstream text. */
  type: string | null;
  /** Stable snake_case reason, e.g. invalid_msgpack, missing_symbol, daily_bar. */
  reason: string;
  atMs: number;
}

export type DecodeIssueSink = (issue: DecodeIssue) => void;

/** The envelope channel an issue's message was meant for (metric label), `unknown` when none. */
export function issueChannel(issue: DecodeIssue): string {
  if (issue.stream === 'trade_updates') return 'trade_updates';
  return channelOfType(issue.type) ?? 'unknown';
}

/** The system clock, its timers not keeping the process alive (a pending summary is only logs). */
const unrefClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Interval of the summary line of issues not logged one by one. */
export const ISSUE_SUMMARY_INTERVAL_MS = 10_000;

export interface IssueReporterOptions {
  clock?: Clock;
  summaryIntervalMs?: number;
}

/**
 * Reports every issue to `sink`; logs the first of each kind (malformed and unknown at warn,
 * not forwarded at debug), then at most one summary line per interval with the counts since.
 */
export function createIssueReporter(
  logger: Logger,
  sink: DecodeIssueSink | undefined,
  options: IssueReporterOptions = {},
): DecodeIssueSink {
  const clock = options.clock ?? unrefClock;
  const intervalMs = options.summaryIntervalMs ?? ISSUE_SUMMARY_INTERVAL_MS;
  /** Kinds already logged once; the key space is bounded (code-defined reasons, bounded types). */
  const seen = new Set<string>();
  let pending = new Map<string, number>();
  let pendingWarn = false;
  let timer: TimerHandle | null = null;

  function summarize(): void {
    timer = null;
    if (pending.size === 0) return;
    const counts = Object.fromEntries(pending);
    const total = [...pending.values()].reduce((a, b) => a + b, 0);
    const fields = { counts, total, interval_ms: intervalMs };
    if (pendingWarn) logger.warn(fields, 'alpaca messages not forwarded since the last summary (counted)');
    else logger.debug(fields, 'alpaca messages not forwarded since the last summary (counted)');
    pending = new Map();
    pendingWarn = false;
  }

  return (issue) => {
    const typeLabel = messageTypeLabel(issue.stream, issue.type);
    const key = `${issue.stream}:${issue.kind}:${issue.reason}:${typeLabel}`;
    const warn = issue.kind !== 'not_forwarded';
    if (!seen.has(key)) {
      seen.add(key);
      const fields = {
        stream: issue.stream,
        kind: issue.kind,
        reason: issue.reason,
        type: truncateForLog(issue.type),
        at_ms: issue.atMs,
      };
      const msg = 'alpaca message not forwarded (first of its kind; further ones are counted and summarized)';
      if (warn) logger.warn(fields, msg);
      else logger.debug(fields, msg);
    } else {
      pending.set(key, (pending.get(key) ?? 0) + 1);
      pendingWarn ||= warn;
      if (timer === null) timer = clock.setTimeout(summarize, intervalMs);
    }
    try {
      sink?.(issue);
    } catch (err) {
      logger.error({ err }, 'onDecodeIssue handler threw');
    }
  };
}
