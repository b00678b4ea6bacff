/** Publishes stream state changes (and the sink's overflow reports) to the status topic. */
import type { Logger } from 'pino';
import type { StreamState } from '../alpaca/types.ts';
import type { EventSink } from '../kafka/sink.ts';
import type { SeqAllocator } from '../pipeline/seq.ts';
import type { MicrosClock } from '../pipeline/time.ts';
import { type StatusEvent, statusEnvelope, statusEvent } from './status-event.ts';

/**
 * Capacity of the status lane: buffer bytes only status records may use, above the data
 * buffer's bound. A status record is ~500 bytes: room for ~2,000 of them during an outage.
 */
export const STATUS_LANE_BYTES = 1024 * 1024;

export interface StatusPublisherDeps {
  feed: string;
  topic: string;
  sink: Pick<EventSink, 'send'>;
  seq: SeqAllocator;
  nowMicros: MicrosClock;
  logger: Logger;
}

export interface StatusPublisher {
  /** `extra`: fields the state's event carries beside the state (e.g. the missing symbols). */
  (state: StreamState, lagMs?: number, extra?: Partial<StatusEvent>): void;
  /** Publishes any status event (e.g. the Kafka overflow report), keyed by its stream; false when the sink refused it. */
  event(event: StatusEvent): boolean;
}

export function createStatusPublisher(deps: StatusPublisherDeps): StatusPublisher {
  const send = (event: StatusEvent): boolean => {
    const envelope = statusEnvelope(event, deps.seq.next('status', event.stream), deps.nowMicros());
    return deps.sink.send({ topic: deps.topic, key: event.stream, value: JSON.stringify(envelope) });
  };
  const publish = (state: StreamState, lagMs?: number, extra?: Partial<StatusEvent>): void => {
    send({ ...statusEvent(state, state.stream === 'trade_updates' ? 'alpaca' : deps.feed, lagMs), ...extra });
    const level = state.status === 'error' ? 'warn' : 'info';
    deps.logger[level](
      {
        stream: state.stream,
        status: state.status,
        reason: state.reason,
        error_class: state.errorClass,
        attempt: state.attempt,
      },
      'stream state changed',
    );
  };
  return Object.assign(publish, { event: send });
}
