/**
 * The market calendar: Alpaca's /v2/calendar rows parsed to UTC sessions, the shipped NYSE rule
 * set (checked against the simulator's static table of published NYSE days), and the phase of
 * each feed at fixed instants: a holiday, an early close, a weekend, pre-market, DST.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fallbackCalendar,
  feedPhase,
  newYorkToUtcMs,
  parseCalendar,
  type TradingDay,
} from '../../../../forwarder/alpaca/market-calendar.ts';
import { calendarRows } from '../../../sim/alpaca/index.ts';

/** Alpaca's rows around Thanksgiving 2026 (Wed normal, Thu holiday: no row, Fri early close). */
const THANKSGIVING = [
  {
    date: '2026-11-25',
    open: '09:30',
    close: '16:00',
    session_open: '0400',
    session_close: '2000',
    settlement_date: '2026-11-27',
  },
  {
    date: '2026-11-27',
    open: '09:30',
    close: '13:00',
    session_open: '0400',
    session_close: '1700',
    settlement_date: '2026-11-30',
  },
  {
    date: '2026-11-30',
    open: '09:30',
    close: '16:00',
    session_open: '0400',
    session_close: '2000',
    settlement_date: '2026-12-01',
  },
];

function days(rows: unknown): TradingDay[] {
  const parsed = parseCalendar(rows);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.days;
}

/** A New York wall time as UTC ms (the fixtures read like the exchange's schedule). */
const ny = (date: string, hh: number, mm = 0): number => newYorkToUtcMs(date, hh * 60 + mm);

describe('market calendar', () => {
  test('rows → UTC sessions, New York local time across EST and EDT', () => {
    const [wed] = days(THANKSGIVING);
    assert.equal(new Date(wed?.openMs ?? 0).toISOString(), '2026-11-25T14:30:00.000Z'); // EST
    assert.equal(new Date(wed?.sessionOpenMs ?? 0).toISOString(), '2026-11-25T09:00:00.000Z');
    const [summer] = days([
      { date: '2026-07-06', open: '09:30', close: '16:00', session_open: '0400', session_close: '2000' },
    ]);
    assert.equal(new Date(summer?.openMs ?? 0).toISOString(), '2026-07-06T13:30:00.000Z'); // EDT
    assert.equal(new Date(summer?.sessionCloseMs ?? 0).toISOString(), '2026-07-07T00:00:00.000Z');
    // The day DST starts (2026-03-08 is a Sunday; Monday 03-09 is the first EDT session).
    assert.equal(ny('2026-03-09', 9, 30), Date.UTC(2026, 2, 9, 13, 30));
    assert.equal(ny('2026-03-06', 9, 30), Date.UTC(2026, 2, 6, 14, 30));
  });

  test('a malformed answer is refused, naming the row', () => {
    assert.deepEqual(parseCalendar({ message: 'forbidden' }), {
      ok: false,
      reason: 'calendar answer is not a JSON array',
    });
    const bad = parseCalendar([THANKSGIVING[0], { date: '2026-11-27', open: '9:30', close: '13:00' }]);
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.reason, /row 1 \(2026-11-27\): open\/close/);
    assert.equal(parseCalendar([{ date: '2026-11-27', open: '13:00', close: '09:30' }]).ok, false);
    assert.equal(parseCalendar([{ date: '27-11-2026', open: '09:30', close: '13:00' }]).ok, false);
    assert.equal(
      parseCalendar([
        { date: '2026-11-27', open: '09:30', close: '13:00', session_open: '1000', session_close: '1700' },
      ]).ok,
      false,
      'the extended session must enclose the regular one',
    );
  });

  test('holiday, early close, weekend, pre-market and post-market phases (iex, sip)', () => {
    const cal = days(THANKSGIVING);
    for (const feed of ['iex', 'sip']) {
      assert.equal(feedPhase(cal, feed, ny('2026-11-25', 12)).phase, 'regular');
      assert.equal(feedPhase(cal, feed, ny('2026-11-25', 7)).phase, 'extended', 'pre-market');
      assert.equal(feedPhase(cal, feed, ny('2026-11-25', 3, 59)).phase, 'closed', 'before 04:00');
      assert.equal(feedPhase(cal, feed, ny('2026-11-25', 19, 59)).phase, 'extended', 'post-market');
      assert.equal(feedPhase(cal, feed, ny('2026-11-25', 20)).phase, 'closed');
      assert.equal(feedPhase(cal, feed, ny('2026-11-26', 12)).phase, 'closed', 'Thanksgiving: no row');
      assert.equal(feedPhase(cal, feed, ny('2026-11-27', 12, 59)).phase, 'regular');
      assert.equal(feedPhase(cal, feed, ny('2026-11-27', 13)).phase, 'extended', 'early close at 13:00');
      assert.equal(feedPhase(cal, feed, ny('2026-11-27', 17)).phase, 'closed', 'extended session ends 17:00');
      assert.equal(feedPhase(cal, feed, ny('2026-11-28', 12)).phase, 'closed', 'Saturday');
      assert.equal(feedPhase(cal, feed, ny('2026-11-29', 12)).phase, 'closed', 'Sunday');
    }
    const pre = feedPhase(cal, 'iex', ny('2026-11-30', 8));
    assert.equal(pre.sessionStartMs, ny('2026-11-30', 4));
    assert.equal(pre.regularOpenMs, ny('2026-11-30', 9, 30));
  });

  test('delayed_sip runs 15 minutes behind; test (FAKEPACA) is always on', () => {
    const cal = days(THANKSGIVING);
    assert.equal(feedPhase(cal, 'delayed_sip', ny('2026-11-25', 9, 40)).phase, 'extended');
    assert.equal(feedPhase(cal, 'delayed_sip', ny('2026-11-25', 9, 45)).phase, 'regular');
    assert.equal(feedPhase(cal, 'delayed_sip', ny('2026-11-25', 16, 10)).phase, 'regular');
    assert.equal(feedPhase(cal, 'delayed_sip', ny('2026-11-25', 16, 15)).phase, 'extended');
    assert.equal(
      feedPhase(cal, 'delayed_sip', ny('2026-11-25', 9, 45)).regularOpenMs,
      ny('2026-11-25', 9, 45),
    );
    assert.equal(
      feedPhase([], 'test', ny('2026-11-26', 3)).phase,
      'regular',
      'holiday night: FAKEPACA still streams',
    );
  });

  test('the shipped NYSE rule set gives the days NYSE published for 2026 and 2027', () => {
    for (const [from, to] of [
      ['2026-01-01', '2026-12-31'],
      ['2027-01-01', '2027-12-31'],
    ] as const) {
      const want = days(calendarRows(from, to));
      const have = fallbackCalendar(from, to);
      assert.deepEqual(
        have.map((d) => d.date),
        want.map((d) => d.date),
      );
      assert.deepEqual(have, want, 'same open, close and extended hours (early closes included)');
    }
    const fb = fallbackCalendar('2026-07-01', '2026-07-07');
    assert.deepEqual(
      fb.map((d) => d.date),
      ['2026-07-01', '2026-07-02', '2026-07-06', '2026-07-07'],
      'Independence Day on a Saturday is observed on Friday July 3',
    );
    const early = fallbackCalendar('2026-12-24', '2026-12-24')[0];
    assert.equal(early?.closeMs, ny('2026-12-24', 13));
    assert.equal(early?.sessionCloseMs, ny('2026-12-24', 17));
    // New Year's Day on a Saturday (2028... 2022-01-01) is not observed on Friday Dec 31.
    assert.deepEqual(
      fallbackCalendar('2021-12-31', '2022-01-03').map((d) => d.date),
      ['2021-12-31', '2022-01-03'],
    );
  });
});
