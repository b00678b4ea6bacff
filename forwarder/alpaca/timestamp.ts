/**
 * msgpack timestamp extension (type -1) → RFC3339 UTC string with the nanoseconds preserved and
 * trailing zeros trimmed, the way Alpaca formats `t` in JSON (Go RFC3339Nano). This is the
 * spelling the envelope carries (`event_ts`), made once per timestamp from the extension's bytes:
 * the `YYYY-MM-DDTHH:MM:SS` part is formatted once per second (timestamps in a frame share their
 * second), the fraction from the integer nanoseconds, with no Date per timestamp.
 */

let cachedSec = Number.NaN;
let cachedBase = '';

export function timeSpecToRfc3339(sec: number, nsec: number): string {
  if (sec !== cachedSec) {
    cachedBase = new Date(sec * 1000).toISOString().slice(0, 19); // 2021-02-22T15:51:44
    cachedSec = sec;
  }
  if (nsec === 0) return `${cachedBase}Z`;
  let fraction = nsec;
  let digits = 9;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits -= 1;
  }
  return `${cachedBase}.${String(fraction).padStart(digits, '0')}Z`;
}

function uint32(d: Uint8Array, at: number): number {
  return (
    (d[at] as number) * 0x1000000 +
    (((d[at + 1] as number) << 16) | ((d[at + 2] as number) << 8) | (d[at + 3] as number))
  );
}

/**
 * Decodes the raw bytes of a msgpack timestamp extension: 32-bit (seconds), 64-bit (30-bit
 * nanoseconds, 34-bit seconds) or 96-bit (32-bit nanoseconds, signed 64-bit seconds). Throws a
 * RangeError on other sizes.
 */
export function msgpackTimestampToRfc3339(data: Uint8Array): string {
  switch (data.byteLength) {
    case 4:
      return timeSpecToRfc3339(uint32(data, 0), 0);
    case 8: {
      const high = uint32(data, 0);
      return timeSpecToRfc3339((high % 4) * 0x100000000 + uint32(data, 4), Math.floor(high / 4));
    }
    case 12: {
      const secHigh = uint32(data, 4);
      const signedHigh = secHigh >= 0x80000000 ? secHigh - 0x100000000 : secHigh;
      return timeSpecToRfc3339(signedHigh * 0x100000000 + uint32(data, 8), uint32(data, 0));
    }
    default:
      throw new RangeError(`msgpack timestamp of ${data.byteLength} bytes (expected 4, 8 or 12)`);
  }
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
