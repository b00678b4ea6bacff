/**
 * Side-by-side timing for the hot-path benchmarks: variants run interleaved over rounds
 * (A B C, C B A, …) on the same input; each figure is the median over the rounds of the
 * process CPU time (user + system) per event of one pass. Prints a table row per variant with
 * the ratio to the first (the old code).
 */
export interface Variant {
  label: string;
  /** One pass over the input; returns how many events it handled. */
  pass(): number;
}

export interface Row {
  label: string;
  nsPerEvent: number;
}

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

export function compare(variants: Variant[], rounds: number): Row[] {
  const samples = variants.map(() => [] as number[]);
  for (const v of variants) v.pass(); // warm-up, not measured
  for (let r = 0; r < rounds; r += 1) {
    const order = variants.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const t0 = cpuNs();
      const n = (variants[i] as Variant).pass();
      (samples[i] as number[]).push((cpuNs() - t0) / n);
    }
  }
  return variants.map((v, i) => ({ label: v.label, nsPerEvent: median(samples[i] as number[]) }));
}

export function printRows(step: string, rows: Row[]): void {
  const base = (rows[0] as Row).nsPerEvent;
  for (const r of rows) {
    console.log(
      `| ${step} | ${r.label} | ${r.nsPerEvent.toFixed(0)} | ${(r.nsPerEvent / 1000).toFixed(2)} | ${(r.nsPerEvent / base).toFixed(2)} |`,
    );
  }
}

export const TABLE_HEAD =
  '| step | variant | ns CPU / event | ms CPU / 1000 events | ratio to the first |\n| --- | --- | --- | --- | --- |';
