/**
 * Sequence numbers (design §4.4): per (channel, symbol), +1 per event; every counter of a process
 * starts at the process start time in ms × 1000, so a restart jumps forward, never back.
 * One Map of symbols per channel: no (channel, symbol) key string is built per event.
 */
export class SeqAllocator {
  readonly #start: number;
  readonly #byChannel = new Map<string, Map<string, number>>();

  constructor(processStartMs: number) {
    this.#start = Math.floor(processStartMs) * 1000;
    if (!Number.isSafeInteger(this.#start)) throw new RangeError('process start time out of range');
  }

  next(channel: string, symbol: string): number {
    let bySymbol = this.#byChannel.get(channel);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.#byChannel.set(channel, bySymbol);
    }
    const value = bySymbol.get(symbol) ?? this.#start;
    bySymbol.set(symbol, value + 1);
    return value;
  }
}
