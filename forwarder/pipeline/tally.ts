/**
 * Per-batch event counts by channel: the pipeline counts each event here and reports the sums
 * to the metrics once per batch (one frame), so a counter is touched once per channel per frame
 * instead of once per event. The WS lag histogram likewise gets one observation per channel per
 * batch: the lag of the batch's first (oldest) forwarded WS event of that channel, so the event
 * time is parsed once per frame and channel, not per event.
 */
import type { PipelineMetrics } from './pipeline.ts';
import { parseEventMs } from './time.ts';

type Counted = 'received' | 'forwarded' | 'deduplicated';

export class ChannelTally {
  readonly #counts = new Map<
    string,
    { received: number; forwarded: number; deduplicated: number; firstWsTs: string | null }
  >();

  #get(channel: string) {
    let c = this.#counts.get(channel);
    if (c === undefined) {
      c = { received: 0, forwarded: 0, deduplicated: 0, firstWsTs: null };
      this.#counts.set(channel, c);
    }
    return c;
  }

  #add(channel: string, what: Counted): void {
    this.#get(channel)[what] += 1;
  }

  /** The event time of a forwarded WS event; the batch's first per channel is the one observed. */
  wsEventTs(channel: string, eventTs: string): void {
    const c = this.#get(channel);
    if (c.firstWsTs === null) c.firstWsTs = eventTs;
  }

  received(channel: string): void {
    this.#add(channel, 'received');
  }

  forwarded(channel: string): void {
    this.#add(channel, 'forwarded');
  }

  deduplicated(channel: string): void {
    this.#add(channel, 'deduplicated');
  }

  /** Reports the non-zero sums (received first) and the lag at `nowMs`, and starts over. */
  report(metrics: PipelineMetrics, nowMs: number): void {
    for (const [channel, c] of this.#counts) {
      if (c.received > 0) metrics.received(channel, c.received);
      if (c.forwarded > 0) metrics.forwarded(channel, c.forwarded);
      if (c.deduplicated > 0) metrics.deduplicated(channel, c.deduplicated);
      const eventMs = c.firstWsTs === null ? Number.NaN : parseEventMs(c.firstWsTs);
      if (!Number.isNaN(eventMs)) metrics.lagSeconds(channel, (nowMs - eventMs) / 1000);
    }
    this.#counts.clear();
  }
}
