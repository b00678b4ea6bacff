/**
 * Nanosecond timestamps as Alpaca sends them: RFC 3339 UTC with the fraction's trailing zeros
 * trimmed (Go's RFC3339Nano) in JSON, msgpack timestamp extension -1 in msgpack.
 * `toJSON` makes a SimTime serialise as its RFC 3339 string, so messages can carry SimTime values
 * and be encoded by either codec without conversion.
 */
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

export class SimTime {
  /** Nanoseconds since the Unix epoch. */
  readonly ns: bigint;

  constructor(ns: bigint) {
    this.ns = ns;
  }

  static fromMs(ms: number, extraNs = 0): SimTime {
    return new SimTime(BigInt(Math.floor(ms)) * NS_PER_MS + BigInt(Math.floor(extraNs)));
  }

  static fromSpec(sec: number | bigint, nsec: number): SimTime {
    return new SimTime(BigInt(sec) * NS_PER_S + BigInt(nsec));
  }

  /** Parses RFC 3339 (any offset, up to 9 fraction digits) or `YYYY-MM-DD`; null when invalid. */
  static parse(text: string): SimTime | null {
    const m =
      /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2}))?$/.exec(
        text,
      );
    if (m === null) return null;
    const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
    const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (Number.isNaN(base)) return null;
    const check = new Date(base);
    if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return null;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
    let offsetMin = 0;
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    }
    const fracNs = BigInt(frac.padEnd(9, '0') || '0');
    return new SimTime(BigInt(base - offsetMin * 60_000) * NS_PER_MS + fracNs);
  }

  get ms(): number {
    return Number(this.ns / NS_PER_MS);
  }

  /** Seconds and nanoseconds, as the msgpack timestamp extension carries them. */
  get spec(): { sec: number; nsec: number } {
    let sec = this.ns / NS_PER_S;
    let nsec = this.ns % NS_PER_S;
    if (nsec < 0n) {
      nsec += NS_PER_S;
      sec -= 1n;
    }
    return { sec: Number(sec), nsec: Number(nsec) };
  }

  toRfc3339(): string {
    const { sec, nsec } = this.spec;
    const whole = new Date(sec * 1000).toISOString().slice(0, 19);
    if (nsec === 0) return `${whole}Z`;
    return `${whole}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}Z`;
  }

  toJSON(): string {
    return this.toRfc3339();
  }

  toString(): string {
    return this.toRfc3339();
  }

  plusNs(ns: bigint | number): SimTime {
    return new SimTime(this.ns + BigInt(ns));
  }

  /** Start of the minute that contains this instant. */
  floorTo(ns: bigint): SimTime {
    return new SimTime(this.ns - (((this.ns % ns) + ns) % ns));
  }
}

export const MINUTE_NS = 60n * NS_PER_S;

/** Accepts a SimTime, RFC 3339 string, Date or epoch ms; throws a clear error otherwise. */
export function toSimTime(value: unknown, what = 't'): SimTime {
  if (value instanceof SimTime) return value;
  if (value instanceof Date) return SimTime.fromMs(value.getTime());
  if (typeof value === 'number' && Number.isFinite(value)) return SimTime.fromMs(value);
  if (typeof value === 'string') {
    const parsed = SimTime.parse(value);
    if (parsed !== null) return parsed;
  }
  throw new Error(
    `${what}: expected an RFC 3339 timestamp, Date, epoch ms or SimTime, got ${JSON.stringify(value)}`,
  );
}

/** New York midnight of the given instant's New York date, in UTC (daily-bar `t`). */
export function newYorkMidnight(t: SimTime): SimTime {
  const date = new Date(t.ms);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  });
  const parts = Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
  const y = Number(parts.year);
  const mo = Number(parts.month);
  const d = Number(parts.day);
  // Offset of New York from UTC at that date's midnight: try EDT (4 h) then EST (5 h).
  for (const hours of [4, 5]) {
    const candidate = Date.UTC(y, mo - 1, d, hours);
    const hourThere = Number(
      Object.fromEntries(fmt.formatToParts(new Date(candidate)).map((p) => [p.type, p.value])).hour,
    );
    if (hourThere === 0) return SimTime.fromMs(candidate);
  }
  return SimTime.fromMs(Date.UTC(y, mo - 1, d, 5));
}
