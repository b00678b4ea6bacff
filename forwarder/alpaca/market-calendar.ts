/**
 * The US equity market calendar (pure): trading days with their regular and extended sessions as
 * UTC instants, parsed from Alpaca's `GET /v2/calendar` (docs/alpaca-protocol.md §5.4) or built
 * from the shipped NYSE rule set when the calendar cannot be fetched; and the phase of a feed at
 * an instant (closed, extended, regular), which is what the freshness monitor expects data by.
 */

export interface TradingDay {
  /** New York date, YYYY-MM-DD. */
  date: string;
  /** Regular session [openMs, closeMs) in UTC ms. */
  openMs: number;
  closeMs: number;
  /** Extended session (pre-market to post-market) [sessionOpenMs, sessionCloseMs). */
  sessionOpenMs: number;
  sessionCloseMs: number;
}

export type MarketPhase = 'closed' | 'extended' | 'regular';

export interface FeedPhase {
  phase: MarketPhase;
  /** Start of today's session (extended open; start of the New York day on `test`): "today" begins here. */
  sessionStartMs: number;
  /** Today's regular open (silence of a channel is counted from here at the earliest). */
  regularOpenMs: number;
}

/** delayed_sip carries SIP data 15 minutes late: its sessions start and end 15 minutes later. */
export const DELAYED_SIP_SHIFT_MS = 15 * 60_000;

const NY_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const NY_PARTS = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The New York calendar date of an instant, YYYY-MM-DD. */
export function newYorkDate(ms: number): string {
  return NY_DATE.format(new Date(ms));
}

/** New York's offset from UTC at an instant, in ms (−4 h in EDT, −5 h in EST). */
function newYorkOffsetMs(ms: number): number {
  const p: Record<string, number> = {};
  for (const part of NY_PARTS.formatToParts(new Date(ms))) p[part.type] = Number(part.value);
  const asUtc = Date.UTC(
    p.year as number,
    (p.month as number) - 1,
    p.day as number,
    p.hour as number,
    p.minute as number,
    p.second as number,
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** A New York wall-clock time on a date → UTC ms (DST-correct; times inside a gap resolve forward). */
export function newYorkToUtcMs(date: string, minutes: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000;
  const first = wall - newYorkOffsetMs(wall);
  return wall - newYorkOffsetMs(first);
}

/** `HH:MM` (open, close) or `HHMM` (session_open, session_close) → minutes after midnight. */
export function parseClockTime(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{2}):?(\d{2})$/.exec(text);
  if (m === null) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h <= 24 && min < 60 && h * 60 + min <= 24 * 60 ? h * 60 + min : null;
}

export type CalendarParse = { ok: true; days: TradingDay[] } | { ok: false; reason: string };

/**
 * Alpaca's `/v2/calendar` answer → trading days. Every row needs `date` (YYYY-MM-DD), `open` and
 * `close` (HH:MM, New York); `session_open`/`session_close` (HHMM) default to 04:00/20:00 when a
 * row lacks them. A malformed row rejects the whole answer (the fallback is safer than half a
 * calendar), naming the row.
 */
export function parseCalendar(body: unknown): CalendarParse {
  if (!Array.isArray(body)) return { ok: false, reason: 'calendar answer is not a JSON array' };
  const days: TradingDay[] = [];
  for (let i = 0; i < body.length; i++) {
    const row = body[i] as Record<string, unknown> | null;
    if (typeof row !== 'object' || row === null) return { ok: false, reason: `row ${i} is not an object` };
    const date = row.date;
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date))
      return { ok: false, reason: `row ${i}: date is not YYYY-MM-DD` };
    const open = parseClockTime(row.open);
    const close = parseClockTime(row.close);
    if (open === null || close === null || close <= open)
      return { ok: false, reason: `row ${i} (${date}): open/close are not HH:MM with open before close` };
    const sessionOpen = row.session_open === undefined ? 4 * 60 : parseClockTime(row.session_open);
    const sessionClose = row.session_close === undefined ? 20 * 60 : parseClockTime(row.session_close);
    if (sessionOpen === null || sessionClose === null || sessionOpen > open || sessionClose < close)
      return {
        ok: false,
        reason: `row ${i} (${date}): session_open/session_close are not HHMM around open/close`,
      };
    days.push({
      date,
      openMs: newYorkToUtcMs(date, open),
      closeMs: newYorkToUtcMs(date, close),
      sessionOpenMs: newYorkToUtcMs(date, sessionOpen),
      sessionCloseMs: newYorkToUtcMs(date, sessionClose),
    });
  }
  return { ok: true, days };
}

// --- The shipped fallback: NYSE's holiday and early-close rules -------------------------------

function iso(y: number, m: number, d: number): string {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Day of week of a date (0 = Sunday). */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The n-th (1-based; -1 = last) given weekday of a month. */
function nthWeekday(y: number, m: number, wd: number, n: number): number {
  if (n > 0) {
    const first = weekday(y, m, 1);
    return 1 + ((wd - first + 7) % 7) + (n - 1) * 7;
  }
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return last - ((weekday(y, m, last) - wd + 7) % 7);
}

/** Easter Sunday (Gregorian, anonymous algorithm) → [month, day]. */
function easter(y: number): [number, number] {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

/** A fixed-date holiday observed on Friday when it falls on Saturday, Monday when on Sunday. */
function observed(y: number, m: number, d: number): string {
  const wd = weekday(y, m, d);
  const shifted = new Date(Date.UTC(y, m - 1, d + (wd === 6 ? -1 : wd === 0 ? 1 : 0)));
  return iso(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}

/** NYSE full-day holidays of a year (NYSE rule 7.2). */
export function nyseHolidays(y: number): Set<string> {
  const out = new Set<string>();
  // New Year's Day: on a Saturday it is not observed (no Friday close in the old year).
  if (weekday(y, 1, 1) !== 6) out.add(observed(y, 1, 1));
  out.add(iso(y, 1, nthWeekday(y, 1, 1, 3))); // Martin Luther King Jr. Day
  out.add(iso(y, 2, nthWeekday(y, 2, 1, 3))); // Washington's Birthday
  const [em, ed] = easter(y);
  const goodFriday = new Date(Date.UTC(y, em - 1, ed - 2));
  out.add(iso(y, goodFriday.getUTCMonth() + 1, goodFriday.getUTCDate()));
  out.add(iso(y, 5, nthWeekday(y, 5, 1, -1))); // Memorial Day
  if (y >= 2022) out.add(observed(y, 6, 19)); // Juneteenth
  out.add(observed(y, 7, 4));
  out.add(iso(y, 9, nthWeekday(y, 9, 1, 1))); // Labor Day
  out.add(iso(y, 11, nthWeekday(y, 11, 4, 4))); // Thanksgiving
  out.add(observed(y, 12, 25));
  return out;
}

/** NYSE 13:00 early closes: July 3 (Mon–Thu), the day after Thanksgiving, December 24 (Mon–Thu). */
export function nyseEarlyCloses(y: number): Set<string> {
  const out = new Set<string>();
  const jul3 = weekday(y, 7, 3);
  if (jul3 >= 1 && jul3 <= 4) out.add(iso(y, 7, 3));
  out.add(iso(y, 11, nthWeekday(y, 11, 4, 4) + 1));
  const dec24 = weekday(y, 12, 24);
  if (dec24 >= 1 && dec24 <= 4) out.add(iso(y, 12, 24));
  return out;
}

/**
 * The fallback calendar from `fromDate` to `toDate` (inclusive, YYYY-MM-DD): Mon–Fri except NYSE
 * holidays; 09:30–16:00 regular, 04:00–20:00 extended; early closes 13:00 with the extended
 * session to 17:00 (as Alpaca's calendar gives them).
 */
export function fallbackCalendar(fromDate: string, toDate: string): TradingDay[] {
  const days: TradingDay[] = [];
  const [fy, fm, fd] = fromDate.split('-').map(Number) as [number, number, number];
  const holidays = new Map<number, Set<string>>();
  const earlies = new Map<number, Set<string>>();
  for (let t = Date.UTC(fy, fm - 1, fd); ; t += 86_400_000) {
    const dt = new Date(t);
    const y = dt.getUTCFullYear();
    const date = iso(y, dt.getUTCMonth() + 1, dt.getUTCDate());
    if (date > toDate) break;
    const wd = dt.getUTCDay();
    if (wd === 0 || wd === 6) continue;
    if (!holidays.has(y)) holidays.set(y, nyseHolidays(y));
    if (!earlies.has(y)) earlies.set(y, nyseEarlyCloses(y));
    if (holidays.get(y)?.has(date)) continue;
    const early = earlies.get(y)?.has(date) ?? false;
    days.push({
      date,
      openMs: newYorkToUtcMs(date, 9 * 60 + 30),
      closeMs: newYorkToUtcMs(date, early ? 13 * 60 : 16 * 60),
      sessionOpenMs: newYorkToUtcMs(date, 4 * 60),
      sessionCloseMs: newYorkToUtcMs(date, early ? 17 * 60 : 20 * 60),
    });
  }
  return days;
}

/** Adds `n` days to a YYYY-MM-DD date. */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/**
 * The phase of a feed at `nowMs`. `test` (FAKEPACA) streams around the clock: always regular.
 * `delayed_sip` runs 15 minutes behind the calendar. Other feeds (iex, sip) follow it: regular
 * between open and close, extended between session_open and session_close, closed otherwise
 * (weekends and holidays have no row).
 */
export function feedPhase(days: readonly TradingDay[], feed: string, nowMs: number): FeedPhase {
  if (feed === 'test') {
    const start = newYorkToUtcMs(newYorkDate(nowMs), 0);
    return { phase: 'regular', sessionStartMs: start, regularOpenMs: start };
  }
  const shift = feed === 'delayed_sip' ? DELAYED_SIP_SHIFT_MS : 0;
  const t = nowMs - shift;
  const date = newYorkDate(t);
  const day = days.find((d) => d.date === date);
  if (day === undefined) return { phase: 'closed', sessionStartMs: Infinity, regularOpenMs: Infinity };
  const phase: MarketPhase =
    t >= day.openMs && t < day.closeMs
      ? 'regular'
      : t >= day.sessionOpenMs && t < day.sessionCloseMs
        ? 'extended'
        : 'closed';
  return { phase, sessionStartMs: day.sessionOpenMs + shift, regularOpenMs: day.openMs + shift };
}
