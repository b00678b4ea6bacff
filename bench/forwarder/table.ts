/** The benchmark's printed report: one row per run, medians per variant, ratios against variant A. */
import type { RunResult, Variant } from './run-once.ts';
import { median } from './stats.ts';

interface Context {
  rounds: number;
  rate: number;
  events: number;
  symbols: number;
  seconds: number;
  loadBefore: { load1: number; load5: number; cores: number };
  loadAfter: { load1: number; load5: number; cores: number };
}

const COLUMNS: { head: string; get: (r: RunResult) => number; digits: number; lowerIsBetter: boolean }[] = [
  { head: 'ev/s', get: (r) => r.eventsPerSecond, digits: 0, lowerIsBetter: false },
  { head: 'ingest p50', get: (r) => r.ingestP50Ms, digits: 1, lowerIsBetter: true },
  { head: 'ingest p99', get: (r) => r.ingestP99Ms, digits: 1, lowerIsBetter: true },
  { head: 'kafka p50', get: (r) => r.kafkaP50Ms, digits: 1, lowerIsBetter: true },
  { head: 'kafka p99', get: (r) => r.kafkaP99Ms, digits: 1, lowerIsBetter: true },
  { head: 'kafka max', get: (r) => r.kafkaMaxMs, digits: 0, lowerIsBetter: true },
  { head: 'CPU ms', get: (r) => r.cpuMs, digits: 0, lowerIsBetter: true },
  { head: 'CPU/1k ev', get: (r) => r.cpuMsPer1k, digits: 1, lowerIsBetter: true },
  { head: 'idle CPU/s', get: (r) => r.idleCpuMsPerS, digits: 0, lowerIsBetter: true },
  { head: 'peak RSS MB', get: (r) => r.peakRssMb, digits: 1, lowerIsBetter: true },
];

const W = 12;
const cell = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-').padStart(W);

export function printReport(results: RunResult[], variants: Variant[], c: Context): void {
  console.log(
    `\nForwarder end-to-end benchmark: ${c.events} events per run at ${c.rate} ev/s offered over ${c.symbols} symbols, ` +
      `${c.rounds} round(s), Node ${process.version}, ${c.seconds.toFixed(0)} s total`,
  );
  console.log(
    `machine: ${c.loadBefore.cores} cores, load average (1 min) ${c.loadBefore.load1} before, ${c.loadAfter.load1} after`,
  );
  console.log(
    'CPU ms: forwarder user+sys while the run streamed; idle CPU/s: ms per s connected with no events',
  );
  console.log(
    'latency ms: ingest = ingest_ts − event_ts; kafka = broker LogAppendTime − event_ts (trades+quotes)\n',
  );
  const head = `${'run'.padEnd(18)}${'in Kafka'.padStart(W)}${'lost'.padStart(6)}${'dedup'.padStart(6)}`;
  console.log(head + COLUMNS.map((col) => col.head.padStart(W)).join(''));
  for (const r of results) {
    console.log(
      `${`${r.round} ${r.variant}`.padEnd(18)}${String(r.inKafka).padStart(W)}${String(r.lost).padStart(6)}${String(r.deduplicated).padStart(6)}` +
        COLUMNS.map((col) => cell(col.get(r), col.digits)).join(''),
    );
  }
  const medians = variants.map((v) => {
    const rs = results.filter((r) => r.variant === v.name);
    return { v, m: COLUMNS.map((col) => median(rs.map(col.get))) };
  });
  console.log('\nmedians');
  for (const { v, m } of medians)
    console.log(
      `${v.name.padEnd(18)}${''.padStart(W + 12)}${m.map((x, i) => cell(x, COLUMNS[i]?.digits ?? 1)).join('')}`,
    );
  const base = medians[0];
  if (base === undefined) return;
  console.log(`\nratios of medians against ${base.v.name} (>1 = more)`);
  for (const { v, m } of medians.slice(1))
    console.log(
      `${`${v.name} / A`.padEnd(18)}${''.padStart(W + 12)}${m.map((x, i) => cell(x / (base.m[i] ?? Number.NaN), 2)).join('')}`,
    );
}
