/**
 * What every simulated WebSocket connection shares: encoded sends that are logged, the
 * connection record, and the ways it can end (client close frame, client vanished, server close
 * with a code, server drop without a close handshake).
 */
import type { WebSocket } from 'ws';
import type { Account, AccountBook } from './accounts.ts';
import type { ActivityLedger } from './activities.ts';
import type { SimClock } from './clock.ts';
import { type DecodedClientFrame, decodeClientFrame, type Encoding, encodeFrame } from './codec.ts';
import type { Faults } from './faults.ts';
import type { History } from './history.ts';
import type { CloseHow, ConnectionKind, ConnectionRecord, SimLog } from './log.ts';
import type { SimOptions } from './options.ts';
import type { RestBudget } from './rest-budget.ts';
import type { SessionTable } from './session-table.ts';

/** Shared simulator state handed to every connection. */
export interface SimContext {
  options: SimOptions;
  clock: SimClock;
  accounts: AccountBook;
  sessions: SessionTable;
  log: SimLog;
  faults: Faults;
  history: History;
  restBudget: RestBudget;
  /** Fills per account, served by `/v2/account/activities`. */
  activities: ActivityLedger;
}

export abstract class SimConnection {
  readonly id: number;
  readonly ws: WebSocket;
  readonly ctx: SimContext;
  readonly record: ConnectionRecord;
  protected serverEnding: CloseHow | null = null;
  private ended = false;

  constructor(
    ctx: SimContext,
    ws: WebSocket,
    init: { id: number; kind: ConnectionKind; path: string; encoding: Encoding; remote: string },
  ) {
    this.ctx = ctx;
    this.ws = ws;
    this.id = init.id;
    this.record = {
      ...init,
      connectedAt: ctx.clock.now(),
      keyId: null,
      authAt: null,
      closedAt: null,
      closeHow: null,
      closeCode: null,
      subscriptions: null,
      listening: [],
    };
    ctx.log.connections.set(this.id, this.record);
    ctx.log.add({
      type: 'connect',
      at: this.record.connectedAt,
      connId: this.id,
      path: init.path,
      encoding: init.encoding,
      kind: init.kind,
    });
    ws.on('message', (data, isBinary) => this.onFrame(toBuffer(data), isBinary));
    ws.on('close', (code) => this.onClose(code));
    ws.on('error', () => {
      // A protocol error from the client; 'close' follows and records how it ended.
    });
  }

  get encoding(): Encoding {
    return this.record.encoding;
  }

  get open(): boolean {
    return !this.ended && this.ws.readyState === this.ws.OPEN;
  }

  /** Records a successful authentication (connection record and auth log event). */
  protected recordAuthOk(account: Account): void {
    this.record.keyId = account.keyId;
    this.record.authAt = this.ctx.clock.now();
    this.ctx.log.add({
      type: 'auth',
      at: this.record.authAt,
      connId: this.id,
      keyId: account.keyId,
      outcome: 'ok',
    });
  }

  /** Encodes and sends one frame of messages (an array) in this connection's encoding, and logs it. */
  sendMessages(messages: readonly unknown[], opts: { binary?: boolean } = {}): void {
    this.sendValue(messages, [...messages], opts);
  }

  /** Encodes any value as one frame (the trading stream sends bare objects); `logged` goes to the log. */
  sendValue(value: unknown, logged: unknown[], opts: { binary?: boolean } = {}): void {
    if (!this.open) return;
    const payload = encodeFrame(value, this.encoding, this.ctx.options.msgpackTimestampWidth);
    const binary = opts.binary ?? this.encoding === 'msgpack';
    this.sendRaw(binary && typeof payload === 'string' ? Buffer.from(payload) : payload, binary, logged);
  }

  /** Sends bytes as they are (scripted raw frames); `messages` is what the log records. */
  sendRaw(payload: string | Buffer, binary: boolean, messages: unknown[] | null): void {
    if (!this.open) return;
    this.ws.send(payload, { binary });
    this.ctx.log.add({
      type: 'frame',
      at: this.ctx.clock.now(),
      connId: this.id,
      dir: 'out',
      binary,
      messages,
      bytes: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength,
    });
  }

  /**
   * Whether a clean close has begun: a close frame arrived from the client (ws keeps this in a
   * private field; there is no public event before the TCP close) or the server sent one.
   */
  closingCleanly(): boolean {
    if (this.serverEnding === 'server-close') return true;
    if (this.serverEnding === 'server-drop') return false;
    return (this.ws as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived === true;
  }

  /** Server closes with a close frame (`code` 1000-1015 sendable ones, or 3000-4999). */
  closeWith(code = 1000, reason = ''): void {
    if (this.ended || this.serverEnding !== null) return;
    this.serverEnding = 'server-close';
    this.ws.close(code, reason);
  }

  /** Server destroys the TCP socket without a close handshake (network loss seen from the client). */
  drop(): void {
    if (this.ended) return;
    this.serverEnding = 'server-drop';
    this.ws.terminate();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const decoded = decodeClientFrame(data, isBinary);
    this.ctx.log.add({
      type: 'frame',
      at: this.ctx.clock.now(),
      connId: this.id,
      dir: 'in',
      binary: isBinary,
      messages: decoded.ok ? [redact(decoded.value)] : null,
      bytes: data.byteLength,
    });
    try {
      this.handle(decoded);
    } catch (err) {
      // Never crash the server on a client message; answer like Alpaca does for bad input.
      this.onHandlerError(err);
    }
  }

  private onClose(code: number): void {
    if (this.ended) return;
    this.ended = true;
    // 1006: the peer vanished without a close frame (ws also reports this after terminate()).
    const how: CloseHow = this.serverEnding ?? (code === 1006 ? 'abrupt' : 'clean');
    this.record.closedAt = this.ctx.clock.now();
    this.record.closeHow = how;
    this.record.closeCode = code;
    this.ended = true;
    this.onEnded(how);
    this.ctx.log.add({ type: 'close', at: this.record.closedAt, connId: this.id, how, code });
  }

  protected abstract handle(frame: DecodedClientFrame): void;
  protected abstract onHandlerError(err: unknown): void;
  protected abstract onEnded(how: CloseHow): void;
}

const SECRET_KEYS = new Set(['secret', 'secret_key']);

/** The message with secrets replaced, for the log (auth frames carry them). */
function redact(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) ? '[redacted]' : redact(v)]),
  );
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}
