/**
 * Per-key REST request budget per clock minute (Alpaca: 200/min free, 10 000/min paid), with the
 * X-Ratelimit-* headers the trading API sends (data-API headers unconfirmed; harmless extras).
 */
import type { SimClock } from './clock.ts';

export class RestBudget {
  private readonly clock: SimClock;
  private readonly used = new Map<string, { window: number; used: number }>();

  constructor(clock: SimClock) {
    this.clock = clock;
  }

  /** Counts one request for `keyId`; ok false once `limit` requests were made this minute. */
  take(keyId: string, limit: number): { ok: boolean; headers: Record<string, string> } {
    const window = Math.floor(this.clock.now() / 60_000);
    let b = this.used.get(keyId);
    if (b === undefined || b.window !== window) {
      b = { window, used: 0 };
      this.used.set(keyId, b);
    }
    const ok = b.used < limit;
    if (ok) b.used++;
    return {
      ok,
      headers: {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(Math.max(0, limit - b.used)),
        'x-ratelimit-reset': String((window + 1) * 60),
      },
    };
  }
}
