/**
 * kafkajs log entries routed into pino (never the console): ERROR/WARN at warn, INFO at info,
 * DEBUG at debug, with credential-like fields removed and known secrets masked in every string.
 */

import type { LogEntry, logCreator } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Logger } from 'pino';

const SECRET_KEY = /pass|secret|token|credential|sasl|authorization/i;

function clean(value: unknown, scrub: (t: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper than this is not walked, so it is not logged either (it could hold an unmasked secret).
  if (depth > 4) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.map((v) => clean(v, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) ? '[REDACTED]' : clean(v, scrub, depth + 1);
  return out;
}

/** The kafkajs logLevel matching the pino logger's level. */
export function kafkajsLevel(logger: Logger): number {
  const { logLevel } = kafkajs;
  switch (logger.level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'warn':
      return logLevel.WARN;
    default:
      return logLevel.ERROR;
  }
}

/**
 * kafkajs warns that limiting retries of an idempotent producer may break exactly-once; the sink
 * retries the unchanged batch itself, so that warning is logged at debug.
 */
const EXPECTED = /Limiting retries for the idempotent producer/;

export function pinoLogCreator(logger: Logger, scrub: (t: string) => string): logCreator {
  const { logLevel } = kafkajs;
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...extra } = log as LogEntry['log'] & { logger?: unknown };
      const fields = { kafkajs: namespace, ...(clean(extra, scrub) as Record<string, unknown>) };
      const text = scrub(String(message));
      if (EXPECTED.test(text)) logger.debug(fields, text);
      else if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(fields, text);
      else if (level === logLevel.INFO) logger.info(fields, text);
      else logger.debug(fields, text);
    };
}
