import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeTimestampToTimeSpec, ExtData, encode, encodeTimeSpecToTimestamp } from '@msgpack/msgpack';
import { type DecodeIssue, issueChannel } from '../../../../forwarder/alpaca/decode-issues.ts';
import { decodeFrame } from '../../../../forwarder/alpaca/frame-decode.ts';
import { decodeMessage } from '../../../../forwarder/alpaca/message-decode.ts';
import { msgpackTimestampToRfc3339, timeSpecToRfc3339 } from '../../../../forwarder/alpaca/timestamp.ts';

const opts = { receivedAtMs: 1_000 };

function ts(sec: number, nsec: number): ExtData {
  return new ExtData(-1, encodeTimeSpecToTimestamp({ sec, nsec }));
}

describe('frame decode', () => {
  test('JSON text frame with an array of messages keeps their order', () => {
    const text = JSON.stringify([
      { T: 't', S: 'AAPL', i: 1, x: 'D', p: 1.5, s: 1, c: ['@'], z: 'C', t: '2021-02-22T15:51:44.208Z' },
      { T: 't', S: 'AAPL', i: 2, x: 'D', p: 1.6, s: 1, c: ['@'], z: 'C', t: '2021-02-22T15:51:44.209Z' },
    ]);
    const r = decodeFrame(text, false, 'json');
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.messages.map((m) => (m as { i: number }).i), [1, 2]);
  });

  test('a single object frame is one message; JSON bytes in a binary frame decode on a JSON connection', () => {
    const r = decodeFrame(
      Buffer.from('{"stream":"listening","data":{"streams":["trade_updates"]}}'),
      true,
      'json',
    );
    assert.equal(r.ok && r.messages.length, 1);
  });

  test('msgpack frame: timestamp extension becomes RFC3339 with nanoseconds, 96-bit and 64-bit', () => {
    const sec = Date.UTC(2021, 1, 22, 15, 51, 45) / 1000;
    const bytes = encode([
      { T: 'q', S: 'AMD', bp: 87.66, bs: 1, ap: 87.68, as: 4, t: ts(sec, 335689322) },
      { T: 'b', S: 'SPY', o: 1, h: 2, l: 0.5, c: 1.5, v: 10, t: ts(sec, 0) },
      { T: 't', S: 'X', p: 1, t: ts(sec, 208000000) },
    ]);
    const r = decodeFrame(bytes, true, 'msgpack');
    assert.ok(r.ok);
    const [q, b, t] = r.messages as { t: string }[];
    assert.equal(q?.t, '2021-02-22T15:51:45.335689322Z');
    assert.equal(b?.t, '2021-02-22T15:51:45Z');
    assert.equal(t?.t, '2021-02-22T15:51:45.208Z');
  });

  test('malformed frames are reported with a reason, never thrown', () => {
    assert.deepEqual(decodeFrame('{not json', false, 'json'), { ok: false, reason: 'invalid_json' });
    assert.deepEqual(decodeFrame(Buffer.from([0xc1]), true, 'msgpack'), {
      ok: false,
      reason: 'invalid_msgpack',
    });
    assert.deepEqual(decodeFrame(Buffer.from([0x92, 0x01]), true, 'msgpack'), {
      ok: false,
      reason: 'invalid_msgpack',
    });
    assert.deepEqual(decodeFrame('42', false, 'json'), { ok: false, reason: 'not_an_object_or_array' });
    assert.deepEqual(decodeFrame(Buffer.alloc(0), true, 'msgpack'), { ok: false, reason: 'empty_frame' });
    assert.deepEqual(decodeFrame('  ', false, 'json'), { ok: false, reason: 'empty_frame' });
  });

  test('all three timestamp forms (32, 64, 96 bit) decode to the exact nanoseconds, as the msgpack library reads them', () => {
    /** The spelling before: the library's time spec through a Date, fraction trimmed. */
    const reference = (bytes: Uint8Array): string => {
      const { sec, nsec } = decodeTimestampToTimeSpec(bytes);
      const base = new Date(sec * 1000).toISOString().slice(0, 19);
      return nsec === 0 ? `${base}Z` : `${base}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}Z`;
    };
    const be = (words: number[]): Uint8Array => {
      const out = new Uint8Array(words.length * 4);
      const view = new DataView(out.buffer);
      for (const [i, w] of words.entries()) view.setUint32(i * 4, w >>> 0);
      return out;
    };
    const secs = [0, 1, 1_613_994_705, 2 ** 32 - 1, 2 ** 32, 2 ** 34 - 1, 4_102_444_800, -1, -86_400];
    const nsecs = [0, 1, 7, 10, 100, 208_000_000, 335_689_322, 999_999_999, 500_000_000];
    let checked = 0;
    for (const sec of secs) {
      for (const nsec of nsecs) {
        const compact = encodeTimeSpecToTimestamp({ sec, nsec });
        const hi = Math.floor(sec / 2 ** 32);
        const wide = be([nsec, hi, sec - hi * 2 ** 32]);
        for (const bytes of [compact, wide]) {
          assert.equal(
            msgpackTimestampToRfc3339(bytes),
            reference(bytes),
            `sec ${sec} nsec ${nsec} (${bytes.length} bytes)`,
          );
          checked += 1;
        }
      }
    }
    const forms = new Set(
      secs.flatMap((sec) => nsecs.map((nsec) => encodeTimeSpecToTimestamp({ sec, nsec }).length)),
    );
    assert.deepEqual([...forms].sort(), [12, 4, 8], 'the library picked every form');
    assert.equal(checked, secs.length * nsecs.length * 2);
    // Seconds alternating between calls (the per-second cache) keep their own spelling.
    assert.equal(timeSpecToRfc3339(1, 5), '1970-01-01T00:00:01.000000005Z');
    assert.equal(timeSpecToRfc3339(2, 5), '1970-01-01T00:00:02.000000005Z');
    assert.equal(timeSpecToRfc3339(1, 0), '1970-01-01T00:00:01Z');
    assert.throws(() => msgpackTimestampToRfc3339(new Uint8Array(5)), RangeError);
    assert.deepEqual(
      decodeFrame(encode([{ T: 't', t: new ExtData(-1, new Uint8Array(5)) }]), true, 'msgpack'),
      {
        ok: false,
        reason: 'invalid_msgpack',
      },
    );
  });

  test('one decoder serves every frame: frames decode independently, in any order, after a bad one', () => {
    const sec = 1_613_994_705;
    const a = encode([{ T: 't', S: 'A', p: 1, t: ts(sec, 1) }]);
    const b = encode({ T: 'q', S: 'B', bp: 2, t: ts(sec + 1, 0) });
    for (const [bytes, expected] of [
      [a, [{ T: 't', S: 'A', p: 1, t: '2021-02-22T11:51:45.000000001Z' }]],
      [Buffer.from([0x92, 0x01]), null],
      [b, [{ T: 'q', S: 'B', bp: 2, t: '2021-02-22T11:51:46Z' }]],
      [a, [{ T: 't', S: 'A', p: 1, t: '2021-02-22T11:51:45.000000001Z' }]],
    ] as const) {
      const r = decodeFrame(bytes, true, 'msgpack');
      if (expected === null) assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, messages: expected });
    }
  });

  test('timeSpecToRfc3339 trims trailing zeros like Go RFC3339Nano', () => {
    assert.equal(timeSpecToRfc3339(0, 100), '1970-01-01T00:00:00.0000001Z');
    assert.equal(timeSpecToRfc3339(0, 830000000), '1970-01-01T00:00:00.83Z');
  });
});

describe('message decode', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      't',
      {
        T: 't',
        S: 'aapl',
        i: 96921,
        x: 'D',
        p: 126.55,
        s: 1,
        c: ['@'],
        z: 'C',
        t: '2021-02-22T15:51:44.208Z',
      },
      'trades',
    ],
    [
      'q',
      {
        T: 'q',
        S: 'AMD',
        bx: 'U',
        bp: 87.66,
        bs: 1,
        ax: 'Q',
        ap: 87.68,
        as: 4,
        t: '2021-02-22T15:51:45.335689322Z',
      },
      'quotes',
    ],
    [
      'b',
      { T: 'b', S: 'SPY', o: 1, h: 2, l: 0.5, c: 1.5, v: 10, n: 3, vw: 1.2, t: '2021-02-22T19:15:00Z' },
      'bars',
    ],
    [
      'u',
      { T: 'u', S: 'SPY', o: 1, h: 2, l: 0.5, c: 1.5, v: 11, n: 4, vw: 1.2, t: '2021-02-22T19:15:00Z' },
      'updated_bars',
    ],
    [
      's',
      {
        T: 's',
        S: 'AAPL',
        sc: 'H',
        sm: 'Trading Halt',
        rc: 'T12',
        rm: 'x',
        t: '2021-02-22T19:15:00Z',
        z: 'C',
      },
      'statuses',
    ],
    [
      'c',
      {
        T: 'c',
        S: 'EEM',
        x: 'M',
        oi: 1,
        op: 39.1,
        os: 4,
        ci: 2,
        cp: 39.2,
        cs: 4,
        z: 'B',
        t: '2023-04-06T14:25:06.542305024Z',
      },
      'trades',
    ],
    [
      'x',
      {
        T: 'x',
        S: 'GOOGL',
        i: 465,
        x: 'D',
        p: 105.31,
        s: 300,
        a: 'C',
        z: 'C',
        t: '2023-04-06T13:15:42.83540958Z',
      },
      'trades',
    ],
    [
      'l',
      { T: 'l', S: 'IONM', u: 3.24, d: 2.65, i: 'B', t: '2023-04-06T13:34:45.565004401Z', z: 'C' },
      'statuses',
    ],
  ];
  for (const [type, msg, channel] of cases) {
    test(`T=${type} maps to channel ${channel} with payload as received and eventTs = t`, () => {
      const r = decodeMessage(msg, opts);
      assert.equal(r.kind, 'event');
      if (r.kind !== 'event') return;
      assert.equal(r.event.channel, channel);
      assert.equal(r.event.symbol, String(msg.S).toUpperCase());
      assert.equal(r.event.payload, msg);
      assert.equal(r.event.eventTs, msg.t);
      assert.equal(r.event.source, 'ws');
      assert.equal(r.event.receivedAtMs, 1_000);
    });
  }

  test('daily bars are counted as not forwarded unless configured', () => {
    const d = { T: 'd', S: 'SPY', o: 1, h: 2, l: 0.5, c: 1.5, v: 10, t: '2022-04-11T04:00:00Z' };
    assert.deepEqual(decodeMessage(d, opts), { kind: 'not_forwarded', type: 'd', reason: 'daily_bar' });
    const fwd = decodeMessage(d, { ...opts, forwardDailyBars: true });
    assert.equal(fwd.kind === 'event' && fwd.event.channel, 'bars');
  });

  test('imbalances are counted as not forwarded; unknown types are counted as unknown', () => {
    assert.equal(decodeMessage({ T: 'i', S: 'A', t: '2021-02-22T19:15:00Z' }, opts).kind, 'not_forwarded');
    assert.deepEqual(decodeMessage({ T: 'zz', S: 'A' }, opts), { kind: 'unknown', type: 'zz' });
  });

  test('control messages', () => {
    assert.deepEqual(decodeMessage({ T: 'success', msg: 'connected' }, opts), {
      kind: 'control',
      control: { T: 'success', msg: 'connected' },
    });
    assert.deepEqual(decodeMessage({ T: 'error', code: 406, msg: 'connection limit exceeded' }, opts), {
      kind: 'control',
      control: { T: 'error', code: 406, msg: 'connection limit exceeded' },
    });
    const sub = decodeMessage({ T: 'subscription', trades: ['AAPL'] }, opts);
    assert.equal(sub.kind === 'control' && sub.control.T, 'subscription');
  });

  test('malformed messages carry a reason', () => {
    const bad: [unknown, string][] = [
      ['x', 'not_an_object'],
      [[1], 'not_an_object'],
      [{ S: 'A' }, 'missing_type'],
      [{ T: 't', p: 1, t: '2021-02-22T19:15:00Z' }, 'missing_symbol'],
      [{ T: 't', S: 'A', p: 1 }, 'missing_timestamp'],
      [{ T: 't', S: 'A', p: 1, t: 'yesterday' }, 'invalid_timestamp'],
      [{ T: 't', S: 'A', p: '1', t: '2021-02-22T19:15:00Z' }, 'invalid_trade_price'],
      [{ T: 'b', S: 'A', o: 1, h: 1, l: 1, c: null, v: 1, t: '2021-02-22T19:15:00Z' }, 'invalid_bar_field_c'],
      [{ T: 'error', msg: 'x' }, 'error_without_code'],
      [{ T: 'success' }, 'success_without_msg'],
    ];
    for (const [raw, reason] of bad) {
      const r = decodeMessage(raw, opts);
      assert.equal(r.kind, 'malformed', JSON.stringify(raw));
      assert.equal(r.kind === 'malformed' && r.reason, reason, JSON.stringify(raw));
    }
  });
});

test('a decode issue is labelled with the envelope channel its message was meant for', () => {
  const issue = (stream: DecodeIssue['stream'], type: string | null): DecodeIssue => ({
    stream,
    kind: 'malformed_message',
    type,
    reason: 'r',
    atMs: 0,
  });
  assert.equal(issueChannel(issue('market_data', 't')), 'trades');
  assert.equal(issueChannel(issue('market_data', 'x')), 'trades');
  assert.equal(issueChannel(issue('market_data', 'q')), 'quotes');
  assert.equal(issueChannel(issue('market_data', 'd')), 'bars');
  assert.equal(issueChannel(issue('market_data', 'u')), 'updated_bars');
  assert.equal(issueChannel(issue('market_data', 'l')), 'statuses');
  assert.equal(issueChannel(issue('market_data', null)), 'unknown');
  assert.equal(issueChannel(issue('market_data', 'zz')), 'unknown');
  assert.equal(issueChannel(issue('trade_updates', 'trade_updates')), 'trade_updates');
});
