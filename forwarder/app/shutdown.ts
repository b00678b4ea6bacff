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
    logger.error({ err: (err as Error).message }, 'streams did not close cleanly');
  }
  try {
    await withTimeout(parts.sink.flush(left()), left(), 'Kafka flush');
    await withTimeout(parts.sink.close(left()), left(), 'Kafka close');
    logger.info('Kafka flushed and disconnected');
  } catch (err) {
    const h = parts.sink.health();
    logger.error(
      {
        err: (err as Error).message,
        buffered_records: h.bufferedRecords,
        buffered_bytes: h.bufferedBytes,
        error_class: h.errorClass,
      },
      'could not flush Kafka before the grace period ended; buffered records are lost',
    );
    code = 1;
  }
  const h = parts.sink.health();
  if (code === 0 && h.bufferedRecords > 0) {
    logger.error({ buffered_records: h.bufferedRecords }, 'records still buffered after close');
    code = 1;
  }
  try {
    await withTimeout(parts.release(), Math.min(left(), 2000), 'releasing resources');
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'release after shutdown failed');
  }
  logger.info({ exit_code: code }, 'shutdown complete');
  return code;
}
