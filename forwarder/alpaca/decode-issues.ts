/**
 * Frames and messages the streams could not forward: reported to the caller (for metrics and the
 * status topic) and logged, so nothing disappears silently.
 */
import type { Logger } from 'pino';
import { channelOfType } from './message-decode.ts';
import type { StreamName } from './types.ts';

export interface DecodeIssue {
  stream: StreamName;
  kind: 'malformed_frame' | 'malformed_message' | 'unknown_type' | 'not_forwarded';
  /** The message's `T` (or trade-update `stream`/`event`) when known. */
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

/** Reports to `sink` and logs: malformed at warn, unknown types at warn once per type, skipped at debug. */
export function createIssueReporter(logger: Logger, sink: DecodeIssueSink | undefined): DecodeIssueSink {
  const seenUnknown = new Set<string>();
  return (issue) => {
    if (issue.kind === 'malformed_frame' || issue.kind === 'malformed_message') {
      logger.warn({ ...issue }, 'alpaca message could not be decoded');
    } else if (issue.kind === 'unknown_type') {
      const key = `${issue.stream}:${issue.type}`;
      if (!seenUnknown.has(key)) {
        seenUnknown.add(key);
        logger.warn({ ...issue }, 'alpaca message of unknown type (counted; further ones logged at debug)');
      } else {
        logger.debug({ ...issue }, 'alpaca message of unknown type');
      }
    } else {
      logger.debug({ ...issue }, 'alpaca message not forwarded');
    }
    try {
      sink?.(issue);
    } catch (err) {
      logger.error({ err }, 'onDecodeIssue handler threw');
    }
  };
}
