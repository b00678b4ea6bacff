/** Small statistics helpers for the benchmark tables. Pure. */

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile (p in 0..100); NaN for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank] ?? Number.NaN;
}

/** RFC 3339 UTC (any fraction length, up to nanoseconds) → epoch ms with the fraction kept. */
export function rfc3339ToMs(ts: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(ts);
  if (m === null) return Number.NaN;
  return Date.parse(`${m[1]}Z`) + (m[2] === undefined ? 0 : Number(`0.${m[2]}`) * 1000);
}
