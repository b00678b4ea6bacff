/**
 * Trading API `GET /v2/calendar?start=YYYY-MM-DD&end=YYYY-MM-DD` (docs/alpaca-protocol.md §5.4):
 * one row per trading day, New York local times, `open`/`close` as `HH:MM`, `session_open`/
 * `session_close` as `HHMM` (04:00–20:00; 17:00 after a 13:00 early close), `settlement_date`.
 * Days come from a static NYSE table for 2026–2027 (weekends and holidays have no row), unless a
 * test sets its own rows (`sim.setCalendar`) or makes the next answers fail (`sim.failCalendar`).
 */

export interface CalendarRow {
  date: string;
  open: string;
  close: string;
  session_open: string;
  session_close: string;
  settlement_date: string;
}

/** NYSE full-day holidays 2026–2027 (as NYSE publishes them). */
const HOLIDAYS = new Set([
  '2026-01-01',
  '2026-01-19',
  '2026-02-16',
  '2026-04-03',
  '2026-05-25',
  '2026-06-19',
  '2026-07-03',
  '2026-09-07',
  '2026-11-26',
  '2026-12-25',
  '2027-01-01',
  '2027-01-18',
  '2027-02-15',
  '2027-03-26',
  '2027-05-31',
  '2027-06-18',
  '2027-07-05',
  '2027-09-06',
  '2027-11-25',
  '2027-12-24',
]);
/** NYSE 13:00 early closes 2026–2027. */
const EARLY_CLOSES = new Set(['2026-11-27', '2026-12-24', '2027-11-26']);

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** The rows Alpaca would answer for [start, end] (inclusive), by the static table. */
export function calendarRows(start: string, end: string): CalendarRow[] {
  const rows: CalendarRow[] = [];
  const from = Date.parse(`${start}T00:00:00Z`);
  const to = Date.parse(`${end}T00:00:00Z`);
  const trading = (t: number): boolean => {
    const wd = new Date(t).getUTCDay();
    return wd !== 0 && wd !== 6 && !HOLIDAYS.has(iso(t));
  };
  for (let t = from; t <= to && rows.length < 1000; t += 86_400_000) {
    if (!trading(t)) continue;
    const date = iso(t);
    const early = EARLY_CLOSES.has(date);
    // Settlement T+1: the next trading day.
    let s = t + 86_400_000;
    while (!trading(s)) s += 86_400_000;
    rows.push({
      date,
      open: '09:30',
      close: early ? '13:00' : '16:00',
      session_open: '0400',
      session_close: early ? '1700' : '2000',
      settlement_date: iso(s),
    });
  }
  return rows;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The answer to one calendar request: status and JSON body. */
export function answerCalendar(
  query: URLSearchParams,
  nowMs: number,
  custom: readonly CalendarRow[] | null,
): { status: number; body: unknown } {
  const start = query.get('start') ?? iso(nowMs);
  const end = query.get('end') ?? start;
  if (!DATE.test(start) || Number.isNaN(Date.parse(start)))
    return { status: 400, body: { code: 40010001, message: 'invalid start' } };
  if (!DATE.test(end) || Number.isNaN(Date.parse(end)))
    return { status: 400, body: { code: 40010001, message: 'invalid end' } };
  const rows = custom ?? calendarRows(start, end);
  return { status: 200, body: rows.filter((r) => r.date >= start && r.date <= end) };
}
