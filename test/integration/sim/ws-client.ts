/**
 * A plain `ws` test client for the simulator: decodes every frame (JSON text, JSON-in-binary or
 * msgpack with timestamps kept to the nanosecond) into a queue the test awaits, so no test sleeps.
 */
import { decode, ExtensionCodec, encode } from '@msgpack/msgpack';
import WebSocket from 'ws';

export interface MsgpackTime {
  sec: number;
  nsec: number;
}

const codec = new ExtensionCodec();
codec.register({
  type: -1,
  encode: () => null,
  decode: (data: Uint8Array): MsgpackTime & { width: number } => {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength === 4) return { sec: v.getUint32(0), nsec: 0, width: 32 };
    if (data.byteLength === 8) {
      const hi = v.getUint32(0);
      return { sec: (hi & 3) * 2 ** 32 + v.getUint32(4), nsec: Math.floor(hi / 4), width: 64 };
    }
    return { sec: Number(v.getBigInt64(4)), nsec: v.getUint32(0), width: 96 };
  },
});

export interface Frame {
  binary: boolean;
  value: unknown;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly msgpack: boolean;
  private readonly queue: Frame[] = [];
  private waiters: ((f: Frame) => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  unexpectedResponse: Promise<number>;

  constructor(url: string, opts: { msgpack?: boolean; headers?: Record<string, string> } = {}) {
    this.msgpack = opts.msgpack ?? false;
    const headers = { ...(this.msgpack ? { 'Content-Type': 'application/msgpack' } : {}), ...opts.headers };
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data: Buffer, isBinary) => {
      // The trading stream's heartbeat is one binary byte (0x01): reported as { byte }.
      const value =
        isBinary && data.byteLength === 1
          ? { byte: data[0] }
          : isBinary && this.msgpack
            ? decode(data, { extensionCodec: codec })
            : JSON.parse(data.toString());
      const frame = { binary: isBinary, value };
      const w = this.waiters.shift();
      if (w !== undefined) w(frame);
      else this.queue.push(frame);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.unexpectedResponse = new Promise((resolve) => {
      this.ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {});
  }

  /** Next frame (already received or future). */
  nextFrame(timeoutMs = 10_000): Promise<Frame> {
    const f = this.queue.shift();
    if (f !== undefined) return Promise.resolve(f);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('test client: no frame within the safety timeout')),
        timeoutMs,
      );
      this.waiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  /** Next frame's messages (the frame must be an array). */
  async next(): Promise<Record<string, unknown>[]> {
    const f = await this.nextFrame();
    if (!Array.isArray(f.value))
      throw new Error(`test client: frame is not an array: ${JSON.stringify(f.value)}`);
    return f.value as Record<string, unknown>[];
  }

  /** Frames already received and not yet consumed. */
  get pending(): number {
    return this.queue.length;
  }

  send(msg: unknown): void {
    if (this.msgpack) this.ws.send(encode(msg), { binary: true });
    else this.ws.send(JSON.stringify(msg));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Authenticates after reading the welcome; returns the auth reply frame. */
  async login(key = 'PKTEST', secret = 'SKTEST'): Promise<Record<string, unknown>[]> {
    await this.opened;
    const welcome = await this.next();
    if (welcome[0]?.msg !== 'connected') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    this.send({ action: 'auth', key, secret });
    return this.next();
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    this.ws.close(code);
    return this.closed;
  }

  /** Ends the TCP connection without a close frame. */
  terminate(): Promise<{ code: number; reason: string }> {
    this.ws.terminate();
    return this.closed;
  }
}

/** Opens a client and returns it with the sim's id for its connection. */
export async function connectTo(
  sim: { log: import('../../sim/alpaca/log.ts').SimLog },
  url: string,
  opts: { msgpack?: boolean; headers?: Record<string, string> } = {},
): Promise<{ client: TestClient; id: number }> {
  const mark = sim.log.mark();
  const client = new TestClient(url, opts);
  await client.opened;
  const rec = await sim.log.waitForConnection(() => true, { since: mark });
  return { client, id: rec.id };
}
