/** Wall-clock time with microseconds, for ingest_ts. */
import { performance } from 'node:perf_hooks';

export type MicrosClock = () => number;

/** Epoch microseconds (performance.timeOrigin + now() carries sub-ms precision). */
export const systemMicros: MicrosClock = () =>
  Math.floor((performance.timeOrigin + performance.now()) * 1000);

/** RFC3339 UTC with exactly six fractional digits, e.g. 2026-07-21T14:00:00.532918Z. */
export function formatMicros(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = String(epochMicros - ms * 1000).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, -1)}${micros}Z`;
}

/** Parses an RFC3339 timestamp with up to nanoseconds; ms precision; NaN when unparseable. */
export function parseEventMs(ts: string | null): number {
  if (ts === null) return Number.NaN;
  return Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));
}
