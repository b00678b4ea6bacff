/**
 * Sequence numbers (design §4.4): per (channel, symbol), +1 per event; every counter of a process
 * starts at the process start time in ms × 1000, so a restart jumps forward, never back.
 */
export class SeqAllocator {
  readonly #start: number;
  readonly #next = new Map<string, number>();

  constructor(processStartMs: number) {
    this.#start = Math.floor(processStartMs) * 1000;
    if (!Number.isSafeInteger(this.#start)) throw new RangeError('process start time out of range');
  }

  next(channel: string, symbol: string): number {
    const key = `${channel}\u0000${symbol}`;
    const value = this.#next.get(key) ?? this.#start;
    this.#next.set(key, value + 1);
    return value;
  }
}
