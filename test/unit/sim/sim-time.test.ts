import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newYorkMidnight, SimTime, toSimTime } from '../../sim/alpaca/sim-time.ts';

test('RFC 3339 round trip keeps nanoseconds and trims trailing zeros like Go RFC3339Nano', () => {
  for (const s of [
    '2021-02-22T15:51:44.208Z',
    '2021-02-22T15:51:45.3355677Z',
    '2023-04-06T11:54:26.83915973Z',
    '2021-02-22T19:15:00Z',
    '2023-04-06T14:25:06.542305024Z',
  ]) {
    assert.equal(SimTime.parse(s)?.toRfc3339(), s);
  }
  assert.equal(SimTime.parse('2021-02-22T15:51:44.200000000Z')?.toRfc3339(), '2021-02-22T15:51:44.2Z');
  assert.equal(SimTime.parse('2021-02-22T10:51:44-05:00')?.toRfc3339(), '2021-02-22T15:51:44Z');
  assert.equal(SimTime.parse('2021-02-22')?.toRfc3339(), '2021-02-22T00:00:00Z');
  assert.equal(
    JSON.stringify({ t: SimTime.parse('2021-02-22T15:51:44.208Z') }),
    '{"t":"2021-02-22T15:51:44.208Z"}',
  );
});

test('invalid timestamps are rejected with a clear error', () => {
  for (const bad of [
    '2021-02-30T00:00:00Z',
    '2021-02-22T25:00:00Z',
    'yesterday',
    '2021-02-22T15:51:44.1234567891Z',
  ]) {
    assert.equal(SimTime.parse(bad), null, bad);
  }
  assert.throws(() => toSimTime('nope', 'bar t'), /bar t: expected an RFC 3339 timestamp/);
});

test('spec splits seconds and nanoseconds', () => {
  assert.deepEqual(SimTime.parse('2023-04-06T11:54:26.83915973Z')?.spec, {
    sec: 1680782066,
    nsec: 839159730,
  });
});

test('New York midnight in UTC: 04:00Z in EDT, 05:00Z in EST', () => {
  assert.equal(
    newYorkMidnight(SimTime.parse('2022-04-11T18:00:00Z') as SimTime).toRfc3339(),
    '2022-04-11T04:00:00Z',
  );
  assert.equal(
    newYorkMidnight(SimTime.parse('2022-02-28T20:00:00Z') as SimTime).toRfc3339(),
    '2022-02-28T05:00:00Z',
  );
  // 02:00Z on 1 March is still 28 February in New York
  assert.equal(
    newYorkMidnight(SimTime.parse('2022-03-01T02:00:00Z') as SimTime).toRfc3339(),
    '2022-02-28T05:00:00Z',
  );
});
