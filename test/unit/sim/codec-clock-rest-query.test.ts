import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCliArgs } from '../../sim/alpaca/cli-args.ts';
import { ManualClock } from '../../sim/alpaca/clock.ts';
import { decodeClientFrame, encodeFrame } from '../../sim/alpaca/codec.ts';
import { decodeCursor, encodeCursor, parseRestQuery, parseTimeframe } from '../../sim/alpaca/rest-query.ts';
import { SimTime } from '../../sim/alpaca/sim-time.ts';

test('msgpack frame: array of maps, T first, 96-bit timestamp extension (type -1, nsec then sec)', () => {
  const t = SimTime.parse('2023-04-06T11:54:26.83915973Z') as SimTime;
  const bytes = encodeFrame([{ T: 't', S: 'A', t }], 'msgpack') as Buffer;
  assert.equal(bytes[0], 0x91); // fixarray(1)
  assert.equal(bytes[1], 0x83); // fixmap(3)
  assert.deepEqual([...bytes.subarray(2, 4)], [0xa1, 0x54]); // "T" first
  const ext = bytes.indexOf(0xc7); // ext8
  assert.deepEqual([...bytes.subarray(ext, ext + 3)], [0xc7, 12, 0xff]);
  const view = new DataView(bytes.buffer, bytes.byteOffset + ext + 3, 12);
  assert.equal(view.getUint32(0), 839159730);
  assert.equal(view.getBigInt64(4), 1680782066n);
  assert.equal(encodeFrame([{ T: 't', t }], 'json'), '[{"T":"t","t":"2023-04-06T11:54:26.83915973Z"}]');
});

test('client frames: JSON text, JSON in binary, msgpack binary, garbage named', () => {
  assert.deepEqual(decodeClientFrame(Buffer.from('{"action":"auth"}'), false), {
    ok: true,
    value: { action: 'auth' },
  });
  assert.deepEqual(decodeClientFrame(Buffer.from('{"action":"auth"}'), true), {
    ok: true,
    value: { action: 'auth' },
  });
  const mp = encodeFrame({ action: 'subscribe', trades: ['AAPL'] }, 'msgpack') as Buffer;
  assert.deepEqual(decodeClientFrame(mp, true), {
    ok: true,
    value: { action: 'subscribe', trades: ['AAPL'] },
  });
  const bad = decodeClientFrame(Buffer.from('{"a":'), false);
  assert.equal(bad.ok, false);
  assert.match((bad as { reason: string }).reason, /malformed JSON/);
});

test('ManualClock runs due timers in time order, repeating ones included, only when advanced', () => {
  const clock = new ManualClock(0);
  const seen: string[] = [];
  clock.setRepeating(10, () => seen.push(`r${clock.now()}`));
  const once = clock.setTimer(15, () => seen.push(`o${clock.now()}`));
  clock.setTimer(25, () => seen.push(`x${clock.now()}`)).cancel();
  assert.deepEqual(seen, []);
  clock.advance(30);
  assert.deepEqual(seen, ['r10', 'o15', 'r20', 'r30']);
  once.cancel();
  assert.throws(() => clock.set(5), /cannot go back/);
});

test('REST query validation names the parameter; timeframes and cursors', () => {
  assert.deepEqual(parseTimeframe('15Min'), { amount: 15, unit: 'Min' });
  assert.deepEqual(parseTimeframe('1D'), { amount: 1, unit: 'Day' });
  assert.equal(parseTimeframe('60Min'), null);
  assert.equal(parseTimeframe('5Month'), null);
  const c = { symbol: 'BRK.B', tNs: 1680782066839159730n, seq: 7 };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  assert.equal(decodeCursor('!!!'), null);
  const ok = parseRestQuery('trades', null, new URLSearchParams('symbols=MSFT,AAPL,MSFT&limit=10000'));
  assert.ok(ok.ok);
  assert.deepEqual(ok.query.symbols, ['AAPL', 'MSFT']);
  const bad = parseRestQuery(
    'bars',
    null,
    new URLSearchParams('symbols=AAPL&timeframe=1Min&start=2026-01-02&end=2026-01-01'),
  );
  assert.deepEqual(bad, { ok: false, problem: { status: 422, message: 'end should not be before start' } });
});

test('cli args: defaults, accounts with plans, every problem reported', () => {
  const def = parseCliArgs([]);
  assert.ok(def.ok);
  assert.equal(def.config.port, 18765);
  assert.deepEqual(Object.keys(def.config.accounts), ['PKTEST', 'PKPAID']);
  const paid = parseCliArgs(['--account', 'K:S:paid', '--rate', '0']);
  assert.ok(paid.ok);
  assert.deepEqual(paid.config.accounts.K?.feeds, ['iex', 'sip', 'delayed_sip', 'test']);
  const bad = parseCliArgs(['--rate', '-1', '--symbols', 'aapl', '--host']);
  assert.equal(bad.ok, false);
  assert.equal((bad as { errors: string[] }).errors.length, 3);
});
