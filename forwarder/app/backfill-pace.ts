/**
 * Pacing of the REST backfill and gap fill on the Kafka buffer (issue 10.4): a slice of a REST page
 * goes to the pipeline only while the sink holds at most a quarter of its buffer. Live WebSocket
 * events are never paced, so they keep the other three quarters: a backfill of any size can
 * neither overflow the buffer nor crowd live events out of it. A slice is PACED_SLICE_EVENTS
 * events (~100 records, tens of KiB), the most the buffer can rise past the mark per wait.
 */
import type { EventSink } from '../kafka/sink.ts';

/** Share of maxBufferBytes above which REST slices wait. */
export const BACKFILL_HIGH_WATER_SHARE = 0.25;

export function backfillHighWaterBytes(maxBufferBytes: number): number {
  return Math.floor(maxBufferBytes * BACKFILL_HIGH_WATER_SHARE);
}

/** The pace() the backfill runners await before each slice. */
export function createBackfillPace(
  sink: Pick<EventSink, 'whenBelow'>,
  maxBufferBytes: number,
): () => Promise<void> {
  const mark = backfillHighWaterBytes(maxBufferBytes);
  return () => sink.whenBelow(mark);
}
