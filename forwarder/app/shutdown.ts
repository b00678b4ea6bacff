/**
 * Graceful shutdown (design §4.1): close the WebSockets with a close frame first (frees Alpaca's
 * connection slot at once), then flush and disconnect Kafka, all within a grace period. Returns
 * the exit code: 0 when everything buffered was delivered, 1 otherwise (after logging what was left).
 */
import type { Logger } from 'pino';
import type { EventSink } from '../kafka/sink.ts';

export interface ShutdownParts {
  logger: Logger;
  /** Stop producing new events: streams (close frames), config watch, gap fill. */
  stopSources(): Promise<void>;
  sink: EventSink;
  /** Anything to release last (health server, lease). */
  release(): Promise<void>;
  gracePeriodMs: number;
  now?: () => number;
}

/** Extra time beyond a bounded call's own timeout before giving up on it. */
const SAFETY_MS = 1000;
/** close() after a flush: a short grace for an in-flight request, then disconnect. */
const CLOSE_BOUND_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function shutdown(parts: ShutdownParts, signal: string): Promise<number> {
  const now = parts.now ?? Date.now;
  const deadline = now() + parts.gracePeriodMs;
  const left = (): number => Math.max(1, deadline - now());
  const { logger } = parts;
  logger.info({ signal, grace_period_ms: parts.gracePeriodMs }, 'shutting down');
  let code = 0;
  try {
    // Sockets get a fixed share of the budget: a slow close must not eat the Kafka flush.
    await withTimeout(
      parts.stopSources(),
      Math.min(left(), Math.max(1000, parts.gracePeriodMs / 4)),
      'closing streams',
    );
    logger.info('streams closed');
  } catch (err) {
    logger.error({ err }, 'streams did not close cleanly');
  }
  // flush(timeout) resolves when everything is acked or when its timeout passes (records then
  // stay buffered); the outer bound is only a safety net. close() always runs, so the Kafka
  // client stops retrying and the process can exit even when the broker is gone.
  try {
    // Keep a little of the grace period for close() and the release after it.
    const budget = Math.max(1, left() - Math.min(3000, parts.gracePeriodMs / 5));
    await withTimeout(parts.sink.flush(budget), budget + SAFETY_MS, 'Kafka flush');
  } catch (err) {
    logger.error({ err }, 'Kafka flush did not return');
  }
  const afterFlush = parts.sink.health();
  if (afterFlush.bufferedRecords > 0) {
    logger.error(
      {
        buffered_records: afterFlush.bufferedRecords,
        buffered_bytes: afterFlush.bufferedBytes,
        error_class: afterFlush.errorClass,
        reason: afterFlush.reason,
      },
      'could not flush Kafka before the grace period ended; buffered records are lost',
    );
    code = 1;
  }
  try {
    await withTimeout(parts.sink.close(1), Math.max(CLOSE_BOUND_MS, left()), 'Kafka close');
    if (code === 0) logger.info('Kafka flushed and disconnected');
  } catch (err) {
    logger.error({ err }, 'Kafka client did not disconnect');
  }
  try {
    await withTimeout(parts.release(), Math.min(left(), 2000), 'releasing resources');
  } catch (err) {
    logger.warn({ err }, 'release after shutdown failed');
  }
  logger.info({ exit_code: code }, 'shutdown complete');
  return code;
}
