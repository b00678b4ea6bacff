/** Wall-clock time with microseconds, for ingest_ts; event-time parsing for the lag. */
import { performance } from 'node:perf_hooks';

export type MicrosClock = () => number;

/** Epoch microseconds (performance.timeOrigin + now() carries sub-ms precision). */
export const systemMicros: MicrosClock = () =>
  Math.floor((performance.timeOrigin + performance.now()) * 1000);

let formattedMs = Number.NaN;
let formattedPrefix = '';

/**
 * RFC3339 UTC with exactly six fractional digits, e.g. 2026-07-21T14:00:00.532918Z. The part up
 * to the millisecond is formatted once per millisecond (consecutive events share it).
 */
export function formatMicros(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  if (ms !== formattedMs) {
    formattedPrefix = new Date(ms).toISOString().slice(0, -1);
    formattedMs = ms;
  }
  return `${formattedPrefix}${String(epochMicros - ms * 1000).padStart(3, '0')}Z`;
}

let parsedSecond = '';
let parsedSecondMs = Number.NaN;

/**
 * Parses an RFC3339 timestamp with up to nanoseconds; ms precision (the fraction truncated);
 * NaN when unparseable. `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (what Alpaca sends) is read without a
 * Date: its second is parsed once per second, the milliseconds from the fraction's digits.
 */
export function parseEventMs(ts: string | null): number {
  if (ts === null) return Number.NaN;
  const n = ts.length;
  const at19 = ts.charCodeAt(19);
  if (n >= 20 && ts.charCodeAt(n - 1) === 90 && (at19 === 90 ? n === 20 : at19 === 46 && n > 21)) {
    let ms = 0;
    let scale = 100;
    let ok = true;
    for (let i = 20; i < n - 1; i += 1) {
      const d = ts.charCodeAt(i) - 48;
      if (d < 0 || d > 9) {
        ok = false;
        break;
      }
      if (scale >= 1) {
        ms += d * scale;
        scale /= 10;
      }
    }
    if (ok) {
      if (!ts.startsWith(parsedSecond) || parsedSecond === '') {
        parsedSecond = ts.slice(0, 19);
        parsedSecondMs = Date.parse(`${parsedSecond}Z`);
      }
      return parsedSecondMs + ms;
    }
  }
  return Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));
}
