import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMicros, parseEventMs } from '../../../../forwarder/pipeline/time.ts';

/** The formulas before the per-millisecond and per-second caches (the reference). */
const referenceFormat = (epochMicros: number): string => {
  const ms = Math.floor(epochMicros / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(epochMicros - ms * 1000).padStart(3, '0')}Z`;
};
const referenceParse = (ts: string): number => Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));

describe('ingest and event time', () => {
  test('formatMicros: six fractional digits, the same as a Date per call, across millisecond and second edges', () => {
    const t0 = Date.UTC(2026, 6, 21, 14, 0, 59, 998) * 1000;
    for (let us = t0; us < t0 + 4000; us += 7) assert.equal(formatMicros(us), referenceFormat(us));
    for (const us of [0, 999, 1000, t0 + 5_000_000_123, t0, t0 + 1])
      assert.equal(formatMicros(us), referenceFormat(us));
    assert.equal(formatMicros(Date.UTC(2026, 6, 21, 14, 0, 0, 0) * 1000 + 7), '2026-07-21T14:00:00.000007Z');
  });

  test('parseEventMs: ms, fraction truncated, as Date.parse gave; other spellings still parse; junk is NaN', () => {
    const cases = [
      '2026-01-02T15:00:00Z',
      '2026-01-02T15:00:00.5Z',
      '2026-01-02T15:00:00.12Z',
      '2026-01-02T15:00:00.123Z',
      '2026-01-02T15:00:00.123456789Z',
      '2026-01-02T15:00:00.999999999Z',
      '2026-01-02T15:00:01.000000001Z',
      '2026-01-02T15:00:00.123+00:00',
      '2026-01-02T10:00:00.123456-05:00',
      '2026-01-02T15:00:00.12aZ',
      '2026-01-02T15:00:00.Z',
      '2026-13-02T15:00:00.5Z',
      'yesterday',
      '',
    ];
    for (const ts of [...cases, ...cases.reverse()]) {
      const got = parseEventMs(ts);
      const want = referenceParse(ts);
      assert.ok(Object.is(got, want), `${ts}: ${got} != ${want}`);
    }
    assert.equal(parseEventMs('2026-01-02T15:00:00.123456789Z'), Date.UTC(2026, 0, 2, 15, 0, 0, 123));
    assert.ok(Number.isNaN(parseEventMs(null)));
  });
});
