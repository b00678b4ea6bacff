/**
 * Per-batch event counts by channel: the pipeline counts each event here and reports the sums
 * to the metrics once per batch (one frame), so a counter is touched once per channel per frame
 * instead of once per event.
 */
import type { PipelineMetrics } from './pipeline.ts';

type Counted = 'received' | 'forwarded' | 'deduplicated';

export class ChannelTally {
  readonly #counts = new Map<string, { received: number; forwarded: number; deduplicated: number }>();

  #add(channel: string, what: Counted): void {
    let c = this.#counts.get(channel);
    if (c === undefined) {
      c = { received: 0, forwarded: 0, deduplicated: 0 };
      this.#counts.set(channel, c);
    }
    c[what] += 1;
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

  /** Reports the non-zero sums (received first) and starts over. */
  report(metrics: PipelineMetrics): void {
    for (const [channel, c] of this.#counts) {
      if (c.received > 0) metrics.received(channel, c.received);
      if (c.forwarded > 0) metrics.forwarded(channel, c.forwarded);
      if (c.deduplicated > 0) metrics.deduplicated(channel, c.deduplicated);
    }
    this.#counts.clear();
  }
}
