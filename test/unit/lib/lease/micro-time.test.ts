import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { V1MicroTime } from '@kubernetes/client-node';
import { formatMicroTime, parseMicroTime } from '../../../../lib/lease/micro-time.ts';

describe('MicroTime', () => {
  test('formats with six fractional digits and parses back to the same ms', () => {
    const ms = Date.UTC(2026, 0, 5, 15, 0, 0, 123);
    assert.equal(formatMicroTime(ms), '2026-01-05T15:00:00.123000Z');
    assert.equal(parseMicroTime(formatMicroTime(ms)), ms);
  });

  test('parses what client-node hands over (Date, V1MicroTime, string) and refuses the rest', () => {
    const ms = Date.UTC(2026, 0, 5, 15, 0, 0, 7);
    assert.equal(parseMicroTime(new Date(ms)), ms);
    assert.equal(parseMicroTime(new V1MicroTime(ms)), ms);
    assert.equal(parseMicroTime('2026-01-05T15:00:00.007123Z'), ms);
    for (const bad of [undefined, null, 'yesterday', 42, new Date(Number.NaN)])
      assert.equal(parseMicroTime(bad), null);
  });
});
