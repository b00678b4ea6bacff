/** Publishes stream state changes to the status topic through the sink. */
import type { Logger } from 'pino';
import type { StreamState } from '../alpaca/types.ts';
import type { EventSink } from '../kafka/sink.ts';
import type { SeqAllocator } from '../pipeline/seq.ts';
import type { MicrosClock } from '../pipeline/time.ts';
import { statusEnvelope, statusEvent } from './status-event.ts';

export interface StatusPublisherDeps {
  feed: string;
  topic: string;
  sink: Pick<EventSink, 'send'>;
  seq: SeqAllocator;
  nowMicros: MicrosClock;
  logger: Logger;
}

export function createStatusPublisher(
  deps: StatusPublisherDeps,
): (state: StreamState, lagMs?: number) => void {
  return (state, lagMs) => {
    const event = statusEvent(state, state.stream === 'trade_updates' ? 'alpaca' : deps.feed, lagMs);
    const envelope = statusEnvelope(event, deps.seq.next('status', state.stream), deps.nowMicros());
    deps.sink.send({ topic: deps.topic, key: state.stream, value: JSON.stringify(envelope) });
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
}
