/**
 * The forwarder's start-up order as one linear sequence under one AbortSignal (stop() aborts it):
 * 1. Kafka: `sink.start()` resolves after the first connect attempt; when Kafka is not available
 *    yet the sequence waits for the sink to report healthy (the Alpaca slot is taken only once
 *    Kafka accepts records: reading data that cannot be delivered only fills the bounded buffer);
 * 2. the first symbolsFrom answer (or its failure), so the first subscription is the right one;
 * 3. the connection Lease: the streams connect once it is ours (at once when it is disabled).
 * Each step is skipped once the signal is aborted; the returned promise never rejects on abort.
 */
import type { Logger } from 'pino';
import type { EventSink } from '../kafka/sink.ts';

export interface StartOrderParts {
  sink: Pick<EventSink, 'start' | 'health' | 'onHealthChange'>;
  /** The first symbolsFrom poll, when there is a remote symbol source. */
  firstSymbols: (() => Promise<void>) | null;
  /** Starts the connection Lease (and so the streams). */
  startLease(): void;
  logger: Logger;
  signal: AbortSignal;
}

/** Resolves when the sink reports healthy or the signal is aborted, whichever is first. */
function sinkHealthy(sink: StartOrderParts['sink'], signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      off();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const off = sink.onHealthChange((next) => {
      if (next.ok) done();
    });
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted || sink.health().ok) done();
  });
}

export async function startInOrder(p: StartOrderParts): Promise<void> {
  const { sink, signal, logger } = p;
  await sink.start();
  if (signal.aborted) return;
  if (!sink.health().ok) {
    const h = sink.health();
    logger.error(
      { error_class: h.errorClass, reason: h.reason },
      'Kafka not available; waiting before connecting to Alpaca',
    );
    await sinkHealthy(sink, signal);
    if (signal.aborted) return;
  }
  await p.firstSymbols?.();
  if (signal.aborted) return;
  p.startLease();
}
