/** A manual clock for driving timer-based loops in tests: time moves only with advance(). */
import type { Cancel, Timers } from '../../operator/kube/timers.ts';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeTimers implements Timers {
  #now = 1_700_000_000_000;
  #seq = 0;
  readonly #pending = new Set<Pending>();

  now(): number {
    return this.#now;
  }

  after(ms: number, fn: () => void): Cancel {
    const p: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#pending.add(p);
    return () => {
      this.#pending.delete(p);
    };
  }

  /** Delays of the timers still pending, from now, sorted. */
  pendingDelays(): number[] {
    return [...this.#pending].map((p) => p.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by ms, firing due timers in order (and letting promises settle between them). */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flush();
      const due = [...this.#pending]
        .filter((p) => p.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#pending.delete(due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
    await flush();
  }
}

/** Lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
