/**
 * Realistic msgpack market-data frames for the hot-path benchmarks, built with the simulator's
 * message builders and codec: arrays of up to `perFrame` messages (trades and quotes, a bar and
 * an updated bar per symbol now and then, corrections and statuses rarely), every trade id
 * unique, timestamps as Alpaca sends them in msgpack (the smallest of the 32-bit, 64-bit and
 * 96-bit extension -1 forms that fits; one frame in four all 96-bit). Deterministic.
 */
import { encodeFrame } from '../../test/sim/alpaca/codec.ts';
import { MarketData, type Message, seededRandom } from '../../test/sim/alpaca/market-data.ts';
import { SimTime } from '../../test/sim/alpaca/sim-time.ts';

export interface FrameSet {
  frames: Buffer[];
  events: number;
}

export function buildFrames(options: {
  events: number;
  perFrame: number;
  symbols: number;
  startMs?: number;
}): FrameSet {
  let nowMs = options.startMs ?? Date.UTC(2026, 0, 5, 15, 0, 0);
  const clock = {
    now: () => nowMs,
    setTimer: () => ({ cancel() {} }),
    setRepeating: () => ({ cancel() {} }),
  };
  const md = new MarketData(clock, 7);
  const rng = seededRandom(11);
  const symbols = Array.from({ length: options.symbols }, (_, i) =>
    i < 6 ? (['AAPL', 'MSFT', 'SPY', 'NVDA', 'TSLA', 'QQQ'][i] as string) : `SYM${i}`,
  );
  const frames: Buffer[] = [];
  let events = 0;
  while (events < options.events) {
    const n = Math.min(options.events - events, 1 + Math.floor(rng() * options.perFrame));
    const batch: Message[] = [];
    for (let i = 0; i < n; i += 1) {
      const s = symbols[Math.floor(rng() * symbols.length)] as string;
      const r = rng();
      if (r < 0.45) batch.push(md.trade(s));
      else if (r < 0.96) batch.push(md.quote(s));
      else if (r < 0.98) batch.push(md.bar(s, { t: SimTime.fromMs(Math.floor(nowMs / 60_000) * 60_000) }));
      else if (r < 0.99) batch.push(md.correction(s));
      else if (r < 0.995) batch.push(md.status(s));
      else batch.push(md.quote(s, { t: SimTime.fromMs(nowMs) }));
    }
    frames.push(encodeFrame(batch, 'msgpack', frames.length % 4 === 3 ? 96 : 'compact') as Buffer);
    events += n;
    nowMs += 1 + Math.floor(rng() * 3);
  }
  return { frames, events };
}
