/**
 * Dedup cache heap benchmark (not part of npm test): fills a DedupCache to its cap, then feeds
 * `rounds` × cap further unique keys and prints the heap after each phase (after a forced GC)
 * and the growth. The unit test asserts the bound on entries; this prints the heap figure.
 *   node --expose-gc bench/dedup/heap.ts [cap=5000] [rounds=40]
 */
import { DedupCache } from '../../forwarder/pipeline/dedup.ts';

const cap = Number(process.argv[2] ?? 5_000);
const rounds = Number(process.argv[3] ?? 40);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const cache = new DedupCache({ ttlMs: 3_600_000, maxEntries: cap });
const feed = (from: number): void => {
  for (let i = from; i < from + cap; i += 1) cache.isDuplicate(`trades:SYM${i % 97}:V:${i}`, i);
};
feed(0);
gc();
const baseline = process.memoryUsage().heapUsed;
for (let r = 1; r < rounds; r += 1) feed(r * cap);
gc();
const after = process.memoryUsage().heapUsed;
console.log(
  JSON.stringify({
    cap,
    uniqueKeys: rounds * cap,
    stats: cache.stats(),
    heapUsedAfterFirstCapBytes: baseline,
    heapUsedAfterAllBytes: after,
    heapGrowthBytes: after - baseline,
  }),
);
