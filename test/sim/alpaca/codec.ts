/**
 * Wire encoding of server frames and decoding of client frames.
 * JSON: text frames holding a JSON array; SimTime values serialise through toJSON.
 * msgpack: binary frames holding a msgpack array of maps; SimTime values become timestamp
 * extension -1 (96-bit by default, so nanoseconds survive; 'compact' picks the smallest width).
 * Object key order is preserved, so messages built with `T` first keep it first.
 */
import { DecodeError, decode, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import { SimTime } from './sim-time.ts';

export type Encoding = 'json' | 'msgpack';
export type TimestampWidth = 96 | 'compact';

function timestamp96(t: SimTime): Uint8Array {
  const { sec, nsec } = t.spec;
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, nsec);
  view.setBigInt64(4, BigInt(sec));
  return out;
}

function timestampCompact(t: SimTime): Uint8Array {
  const { sec, nsec } = t.spec;
  if (sec >= 0 && sec < 2 ** 34) {
    if (nsec === 0 && sec < 2 ** 32) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, sec);
      return out;
    }
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, nsec * 4 + Math.floor(sec / 2 ** 32));
    view.setUint32(4, sec >>> 0);
    return out;
  }
  return timestamp96(t);
}

function makeEncoder(width: TimestampWidth): Encoder {
  const codec = new ExtensionCodec();
  codec.register({
    type: -1,
    encode: (value: unknown) => {
      if (value instanceof SimTime) return width === 96 ? timestamp96(value) : timestampCompact(value);
      if (value instanceof Date) return timestamp96(SimTime.fromMs(value.getTime()));
      return null;
    },
    decode: () => null,
  });
  return new Encoder({ extensionCodec: codec, ignoreUndefined: true });
}

const encoders: Record<string, Encoder> = {};

export function encodeFrame(
  messages: unknown,
  encoding: Encoding,
  width: TimestampWidth = 96,
): string | Buffer {
  if (encoding === 'json') return JSON.stringify(messages);
  encoders[width] ??= makeEncoder(width);
  const bytes = (encoders[width] as Encoder).encode(messages);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decoder for client msgpack: timestamps become SimTime (clients rarely send any). */
const clientCodec = new ExtensionCodec();
clientCodec.register({
  type: -1,
  encode: () => null,
  decode: (data: Uint8Array) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength === 4) return SimTime.fromSpec(view.getUint32(0), 0);
    if (data.byteLength === 8) {
      const hi = view.getUint32(0);
      return SimTime.fromSpec((hi & 0x3) * 2 ** 32 + view.getUint32(4), Math.floor(hi / 4));
    }
    return SimTime.fromSpec(view.getBigInt64(4), view.getUint32(0));
  },
});

export type DecodedClientFrame = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Decodes one client message. Text frames are JSON; binary frames are JSON when they start with
 * `{`/`[` (C# sends JSON in binary frames) and msgpack otherwise.
 */
export function decodeClientFrame(data: Buffer, isBinary: boolean): DecodedClientFrame {
  const first = data[0];
  const looksJson = first === 0x7b || first === 0x5b || first === 0x20 || first === 0x0a || first === 0x0d;
  if (!isBinary || looksJson) {
    try {
      return { ok: true, value: JSON.parse(data.toString('utf8')) };
    } catch (err) {
      return { ok: false, reason: `malformed JSON: ${(err as Error).message}` };
    }
  }
  try {
    return { ok: true, value: decode(data, { extensionCodec: clientCodec }) };
  } catch (err) {
    const what =
      err instanceof DecodeError || err instanceof RangeError ? 'malformed msgpack' : 'undecodable frame';
    return { ok: false, reason: `${what}: ${(err as Error).message}` };
  }
}
