/**
 * Design §4.5: records lost to the bounded Kafka buffer are counted (sink metric), logged when
 * it happens, and reported on the status topic once Kafka takes records again (while it is down
 * the report would only overflow too).
 */
import type { Logger } from 'pino';
import type { SinkHealth } from '../kafka/sink.ts';
import { overflowEvent, type StatusEvent } from './status-event.ts';

export function createOverflowReporter(deps: {
  feed: string;
  logger: Logger;
  publish(event: StatusEvent): void;
  now?: () => number;
}): (h: SinkHealth) => void {
  const now = deps.now ?? Date.now;
  let logged = 0;
  let reported = 0;
  return (h) => {
    if (h.overflowedRecords > logged) {
      deps.logger.error(
        { overflowed_records: h.overflowedRecords - logged, error_class: h.errorClass },
        'Kafka buffer full: records dropped',
      );
      logged = h.overflowedRecords;
    }
    if (h.ok && h.overflowedRecords > reported) {
      deps.publish(overflowEvent(h.overflowedRecords - reported, h.errorClass, now(), deps.feed));
      reported = h.overflowedRecords;
    }
  };
}
