/**
 * Hostile frames (fuzzing): a seeded, endless sequence of frames a broken or malicious upstream
 * could send, of every kind the forwarder must survive without forwarding anything from them:
 * wrong types, deep nesting, invalid msgpack/JSON, binary frames where JSON was negotiated,
 * unknown types, huge strings, oversized symbols, empty frames. None of them decodes into a
 * valid event. Frames stay under the forwarder's frame bound (`maxFrameBytes`) so the connection
 * is kept; frames over it are a separate test (a reconnect).
 */
import { encode } from '@msgpack/msgpack';
import { seededRandom } from './market-data.ts';

export type HostileKind =
  | 'wrong_types'
  | 'deep_nesting'
  | 'invalid_msgpack'
  | 'invalid_json'
  | 'binary_where_json'
  | 'unknown_type'
  | 'huge_string'
  | 'oversized_symbol'
  | 'empty_frame';

export interface HostileFrame {
  kind: HostileKind;
  payload: string | Buffer;
  binary: boolean;
}

export interface HostileOptions {
  seed: number;
  /** market: a msgpack market-data connection; trading: the JSON trading stream. */
  stream: 'market' | 'trading';
  /** Largest frame to produce (stay under the forwarder's bound). Default 900 KiB. */
  maxFrameBytes?: number;
}

const TS = '2026-01-05T15:00:00.123456789Z';

export function hostileFrames(o: HostileOptions): () => HostileFrame {
  const rnd = seededRandom(o.seed);
  const max = o.maxFrameBytes ?? 900 * 1024;
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  /** Mostly small, rarely huge: sizes up to `max` minus framing. */
  const bigLen = () => (rnd() < 0.02 ? 64 * 1024 + int(max - 70 * 1024) : 300 + int(20_000));
  const text = (n: number) => 'x'.repeat(n);
  let unknownSeq = 0;

  const market = (): HostileFrame => {
    const r = rnd();
    const json = (v: unknown): HostileFrame => ({
      kind: 'wrong_types',
      payload: JSON.stringify(v),
      binary: false,
    });
    const mp = (v: unknown, kind: HostileKind): HostileFrame => ({
      kind,
      payload: Buffer.from(encode(v)),
      binary: true,
    });
    if (r < 0.2) {
      const bad = pick<unknown>([
        [{ T: 't', S: 5, p: 1, t: TS }],
        [{ T: 't', S: 'AAPL', p: 'not-a-price', t: TS }],
        [{ T: 't', S: 'AAPL', p: 1, t: 12345 }],
        [{ T: 't', S: 'AAPL', p: 1, t: 'yesterday' }],
        [{ T: 'b', S: 'AAPL', o: '1', h: 1, l: 1, c: 1, v: 1, t: TS }],
        [{ T: 'q', S: ['AAPL'], t: TS }],
        [{ T: 7 }],
        [{ S: 'AAPL' }],
        [1, 2, 3],
        [null, true, 'x'],
        42,
        'a string',
        null,
        [{ T: 'error' }],
        [{ T: 'success', msg: 5 }],
      ]);
      return rnd() < 0.5 ? json(bad) : mp(bad, 'wrong_types');
    }
    if (r < 0.32) {
      const depth = rnd() < 0.05 ? 50_000 + int(50_000) : 10 + int(2_000);
      if (rnd() < 0.5) {
        const payload =
          rnd() < 0.5
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `[{"T":"t","S":"AAPL","p":1,"t":"${TS}","x":${'['.repeat(depth)}${']'.repeat(depth)}}]`;
        return { kind: 'deep_nesting', payload, binary: false };
      }
      // msgpack: fixarray(1) nested `depth` times around nil.
      return {
        kind: 'deep_nesting',
        payload: Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]),
        binary: true,
      };
    }
    if (r < 0.47) {
      const n = 1 + int(200);
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i++) bytes[i] = int(256);
      if (rnd() < 0.3) bytes[0] = 0xc1; // never used in msgpack
      if (rnd() < 0.3) {
        const valid = Buffer.from(encode([{ T: 't', S: 'AAPL', i: 1, p: 1, t: TS }]));
        return {
          kind: 'invalid_msgpack',
          payload: valid.subarray(0, 1 + int(valid.length - 2)),
          binary: true,
        };
      }
      return { kind: 'invalid_msgpack', payload: bytes, binary: true };
    }
    if (r < 0.57) {
      const payload = pick([
        '{',
        '[{"T":"t",',
        'not json at all',
        '[{"T":"t","S":"AAPL"}',
        '\u0000\u0001',
        '}{',
      ]);
      return { kind: 'invalid_json', payload, binary: false };
    }
    if (r < 0.77) {
      unknownSeq++;
      const T = rnd() < 0.01 ? `U${unknownSeq}${text(bigLen())}` : `U${unknownSeq}`;
      const m = [{ T, S: 'AAPL', t: TS }];
      return rnd() < 0.5
        ? { kind: 'unknown_type', payload: JSON.stringify(m), binary: false }
        : mp(m, 'unknown_type');
    }
    if (r < 0.88) {
      const big = text(bigLen());
      const m = pick<Record<string, unknown>>([
        { T: 't', S: 'AAPL', i: 1, x: big, p: 1, s: 1, t: TS },
        { T: 't', S: 'AAPL', i: 1, x: 'V', p: 1, s: 1, c: [big], t: TS },
        { T: 't', S: 'AAPL', i: 1, x: 'V', p: 1, s: 1, pad: big, t: TS },
        { T: 's', S: 'AAPL', sc: 'H', sm: big, t: TS },
      ]);
      return rnd() < 0.5
        ? { kind: 'huge_string', payload: JSON.stringify([m]), binary: false }
        : mp([m], 'huge_string');
    }
    if (r < 0.97) {
      const S = `A${text(rnd() < 0.1 ? bigLen() : 32 + int(200))}`;
      const m = [{ T: 't', S, i: 1, x: 'V', p: 1, s: 1, t: TS }];
      return rnd() < 0.5
        ? { kind: 'oversized_symbol', payload: JSON.stringify(m), binary: false }
        : mp(m, 'oversized_symbol');
    }
    return { kind: 'empty_frame', payload: rnd() < 0.5 ? Buffer.alloc(0) : '   ', binary: rnd() < 0.5 };
  };

  const trading = (): HostileFrame => {
    const r = rnd();
    const json = (v: unknown, kind: HostileKind): HostileFrame => ({
      kind,
      payload: JSON.stringify(v),
      binary: rnd() < 0.5,
    });
    if (r < 0.25) {
      const bad = pick<unknown>([
        { stream: 5, data: {} },
        { stream: 'trade_updates', data: 'x' },
        { stream: 'trade_updates', data: { event: 5, order: {} } },
        { stream: 'trade_updates', data: { event: 'fill', order: 'x' } },
        { stream: 'trade_updates' },
        { data: {} },
        [1, 2],
        42,
        null,
      ]);
      return json(bad, 'wrong_types');
    }
    if (r < 0.35) {
      const depth = rnd() < 0.05 ? 50_000 + int(50_000) : 10 + int(2_000);
      return {
        kind: 'deep_nesting',
        payload: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
        binary: rnd() < 0.5,
      };
    }
    if (r < 0.5) {
      return {
        kind: 'invalid_json',
        payload: pick(['{', '{"stream":', 'nope', '\u0000']),
        binary: rnd() < 0.5,
      };
    }
    if (r < 0.65) {
      // msgpack (or random bytes) in a binary frame on a JSON stream.
      const v = Buffer.from(encode({ stream: 'trade_updates', data: { event: 'fill' } }));
      const bytes = rnd() < 0.5 ? v : Buffer.from(Array.from({ length: 1 + int(100) }, () => int(256)));
      if (bytes[0] !== undefined && (bytes[0] === 0x7b || bytes[0] === 0x5b)) bytes[0] = 0xc1;
      return { kind: 'binary_where_json', payload: bytes, binary: true };
    }
    if (r < 0.8) {
      unknownSeq++;
      return json(
        { stream: `s${unknownSeq}${rnd() < 0.01 ? text(bigLen()) : ''}`, data: {} },
        'unknown_type',
      );
    }
    if (r < 0.9) {
      const big = text(bigLen());
      return json(
        {
          stream: 'trade_updates',
          data: { event: 'fill', order: { id: 'o', symbol: 'AAPL', client_order_id: big } },
        },
        'huge_string',
      );
    }
    if (r < 0.98) {
      const symbol = `A${text(rnd() < 0.1 ? bigLen() : 32 + int(200))}`;
      return json(
        { stream: 'trade_updates', data: { event: 'fill', order: { id: 'o', symbol } } },
        'oversized_symbol',
      );
    }
    return { kind: 'empty_frame', payload: Buffer.alloc(0), binary: true };
  };

  return o.stream === 'market' ? market : trading;
}

/** Hostile REST page bodies: huge, deeply nested, mistyped (none yields a valid item). */
export function hostileRestBodies(seed: number, hugeBytes = 20 * 1024 * 1024): string[] {
  const rnd = seededRandom(seed);
  const depth = 100_000;
  const bodies = [
    `{"bars":{"AAPL":[]},"pad":"${'p'.repeat(hugeBytes)}","next_page_token":null}`,
    `{"bars":${'['.repeat(depth)}${']'.repeat(depth)},"next_page_token":null}`,
    `{"bars":{"AAPL":[{"t":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]},"next_page_token":null}`,
    JSON.stringify({ bars: 'not an object', next_page_token: null }),
    JSON.stringify({ bars: { AAPL: 'not a list' }, next_page_token: null }),
    JSON.stringify({ bars: { AAPL: [1, 2, 3] }, next_page_token: null }),
    JSON.stringify({
      bars: { AAPL: [{ t: 5, o: 'x', h: null, l: [], c: {}, v: true }] },
      next_page_token: null,
    }),
    JSON.stringify({
      bars: { ['A'.repeat(300_000)]: [{ t: '2026-01-05T15:00:00Z', o: 1, h: 1, l: 1, c: 1, v: 1 }] },
      next_page_token: null,
    }),
    JSON.stringify({
      bars: { AAPL: [{ t: '2026-01-05T15:00:00Z', o: 1, h: 1, l: 1, c: 1, v: 1, x: 'x'.repeat(1_000_000) }] },
      next_page_token: null,
    }),
    JSON.stringify({ bars: {}, next_page_token: 't'.repeat(1_000_000) }),
    'not json',
    '',
  ];
  // A seeded order, each kind once.
  for (let i = bodies.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [bodies[i], bodies[j]] = [bodies[j] as string, bodies[i] as string];
  }
  return bodies;
}
