/**
 * Kubernetes MicroTime (RFC 3339 with microseconds, e.g. `2026-01-05T15:00:00.123000Z`): the one
 * parser and formatter both programs use for Lease and Event times.
 */

/** ms since the epoch from a MicroTime as client-node hands it over (Date or string); null when unset or invalid. */
export function parseMicroTime(t: unknown): number | null {
  if (t instanceof Date) {
    const v = t.getTime();
    return Number.isNaN(v) ? null : v;
  }
  if (typeof t === 'string') {
    const v = Date.parse(t);
    return Number.isNaN(v) ? null : v;
  }
  return null;
}

/** The MicroTime text of `ms` (millisecond precision, written with six fractional digits). */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
