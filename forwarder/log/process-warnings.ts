/**
 * Node process warnings (a dependency's deprecation or timer warning, e.g. the
 * TimeoutNegativeWarning kafkajs set off on Node 24 before the sink moved to @platformatic/kafka)
 * go to the JSON logger at warn instead of Node's default plain-text print on stderr, so every
 * log line stays JSON.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

type WarningSource = Pick<EventEmitter, 'on' | 'listeners' | 'removeListener'>;

/** Replaces the `warning` listeners of `proc` (Node's stderr printer) by one that logs. */
export function routeProcessWarnings(proc: WarningSource, logger: Pick<Logger, 'warn'>): void {
  for (const listener of proc.listeners('warning'))
    proc.removeListener('warning', listener as (...args: unknown[]) => void);
  proc.on('warning', (warning: Error & { code?: string }) => {
    logger.warn(
      { warning: { name: warning.name, message: warning.message, code: warning.code } },
      'process warning',
    );
  });
}
