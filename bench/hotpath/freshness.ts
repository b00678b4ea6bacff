/**
 * Cost of freshness tracking on the hot path (not part of npm test): the freshness monitor's
 * `observe` (per event one Map lookup symbol → slot and a Float64Array write; slots are made on
 * subscription changes) over the same realistic msgpack frames as the other hot-path benchmarks
 * (bench/hotpath/frames.ts, decoded once up front), beside an empty pass (loop cost; its sum
 * allocates, observe does not) and the naive alternative (a Map<channel:symbol, time> set per
 * event, which builds a key string per event). Prints CPU ns per event, ms per 1000 events, the
 * ratio to the empty pass, and the heap growth of a pass (bytes per event).
 *   node --expose-gc bench/hotpath/freshness.ts [--events 100000] [--per-frame 200] [--symbols 500] [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { decodeFrame } from '../../forwarder/alpaca/frame-decode.ts';
import { feedPhase } from '../../forwarder/alpaca/market-calendar.ts';
import { decodeMessage } from '../../forwarder/alpaca/message-decode.ts';
import type { AlpacaEvent } from '../../forwarder/alpaca/types.ts';
import { createFreshnessMonitor } from '../../forwarder/app/freshness.ts';
import { systemClock } from '../../lib/time/clock.ts';
import { buildFrames } from './frames.ts';
import { compare, printRows, TABLE_HEAD } from './measure.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'per-frame': { type: 'string', default: '200' },
    symbols: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '7' },
  },
});
const rounds = Number(values.rounds);
const { frames, events: total } = buildFrames({
  events: Number(values.events),
  perFrame: Number(values['per-frame']),
  symbols: Number(values.symbols),
});
const batches: AlpacaEvent[][] = frames.map((f) => {
  const r = decodeFrame(f, true, 'msgpack');
  if (!r.ok) throw new Error('frame did not decode');
  return r.messages.flatMap((m) => {
    const d = decodeMessage(m, { receivedAtMs: 1_767_625_200_000 });
    return d.kind === 'event' ? [d.event] : [];
  });
});
const events = batches.reduce((n, b) => n + b.length, 0);
const symbols = [...new Set(batches.flat().map((e) => e.symbol))];

const monitor = createFreshnessMonitor({
  feed: 'sip',
  staleAfterMs: 180_000,
  clock: systemClock,
  phase: (now) => feedPhase([], 'sip', now),
  onChange: () => {},
  onChannelSilent: () => {},
});
monitor.setSubscriptions({ trades: symbols, quotes: symbols, bars: symbols, updatedBars: [], statuses: [] });
const naive = new Map<string, number>();
let sinkhole = 0;

console.log(
  `freshness observe: ${events} events in ${frames.length} frames (${symbols.length} symbols), ${rounds} rounds, Node ${process.version}`,
);
console.log(TABLE_HEAD);
printRows(
  'freshness',
  compare(
    [
      {
        label: 'empty pass (loop over the batches)',
        pass: () => {
          for (const b of batches)
            for (let i = 0; i < b.length; i++) sinkhole += (b[i] as AlpacaEvent).receivedAtMs;
          return events;
        },
      },
      {
        label: 'monitor.observe per batch (Map → Float64Array slot)',
        pass: () => {
          for (const b of batches) monitor.observe(b);
          return events;
        },
      },
      {
        label: 'naive: Map.set(`channel:symbol`) per event',
        pass: () => {
          for (const b of batches) for (const e of b) naive.set(`${e.channel}:${e.symbol}`, e.receivedAtMs);
          return events;
        },
      },
    ],
    rounds,
  ),
);
const heapGrowth = (pass: () => void): number => {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  pass();
  return process.memoryUsage().heapUsed - before;
};
const emptyGrowth = heapGrowth(() => {
  for (const b of batches) for (let i = 0; i < b.length; i++) sinkhole += (b[i] as AlpacaEvent).receivedAtMs;
});
const observeGrowth = heapGrowth(() => {
  for (const b of batches) monitor.observe(b);
});
console.log(
  `heap growth over one pass (bytes/event; --expose-gc for clean figures): empty ${(emptyGrowth / events).toFixed(3)}, observe ${(observeGrowth / events).toFixed(3)}; ${total} events, sink ${sinkhole > 0}`,
);
