/** Sums of Prometheus text-format samples (the forwarder's /metrics). Pure. */

/** Sum of every sample of `name` whose labels pass `labels` (all samples when omitted). */
export function sumMetric(text: string, name: string, labels: (l: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name || !labels(m[2] ?? '')) continue;
    sum += Number(m[3]);
  }
  return sum;
}
