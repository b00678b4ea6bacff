/**
 * msgpack timestamp extension (type -1) → RFC3339 UTC string with the nanoseconds preserved and
 * trailing zeros trimmed, the way Alpaca formats `t` in JSON (Go RFC3339Nano).
 */
import { decodeTimestampToTimeSpec } from '@msgpack/msgpack';

export function timeSpecToRfc3339(sec: number, nsec: number): string {
  const whole = new Date(sec * 1000).toISOString(); // 2021-02-22T15:51:44.000Z
  const base = whole.slice(0, 19);
  if (nsec === 0) return `${base}Z`;
  const fraction = String(nsec).padStart(9, '0').replace(/0+$/, '');
  return `${base}.${fraction}Z`;
}

/** Decodes the raw bytes of a msgpack timestamp extension (32, 64 or 96 bit). Throws on other sizes. */
export function msgpackTimestampToRfc3339(data: Uint8Array): string {
  const { sec, nsec } = decodeTimestampToTimeSpec(data);
  return timeSpecToRfc3339(sec, nsec);
}

const OFFSET_TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * An RFC3339 timestamp with any offset → the same instant in UTC (`Z`), the fraction (up to
 * nanoseconds) kept digit for digit. Null when `ts` is not RFC3339. Pure.
 */
export function toUtcRfc3339(ts: string): string | null {
  const m = OFFSET_TS.exec(ts);
  if (!m) return null;
  const [, whole, fraction = '', zone] = m as unknown as [string, string, string | undefined, string];
  if (zone.toUpperCase() === 'Z') return `${whole}${fraction}Z`;
  const ms = Date.parse(`${whole}${zone}`);
  if (Number.isNaN(ms)) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}${fraction}Z`;
}
