/**
 * One trade_updates session on `/stream` (alpaca-protocol.md §4): no welcome; auth by
 * `{action:"auth",key,secret}`, the legacy `{action:"authenticate",data:{key_id,secret_key}}` or
 * upgrade headers; `listen` replaces the stream set (unknown names dropped); replies are bare
 * objects, not arrays; paper sends binary frames holding JSON, live sends text. Errors are
 * `{"action":"error","data":{"error_message":"..."}}` (no `stream` key); heartbeats are binary
 * frames of the single byte 0x01 (every `tradingHeartbeatMs`, or on demand).
 */
import type { WebSocket } from 'ws';
import type { Account } from './accounts.ts';
import type { TimerHandle } from './clock.ts';
import type { DecodedClientFrame, Encoding } from './codec.ts';
import { SimConnection, type SimContext } from './connection.ts';
import type { HeaderAuth } from './market-connection.ts';

const KNOWN_STREAMS = ['trade_updates'];
const HEARTBEAT = Buffer.from([0x01]);

export class TradingConnection extends SimConnection {
  account: Account | null = null;
  private heartbeatTimer: TimerHandle | null = null;

  constructor(
    ctx: SimContext,
    ws: WebSocket,
    init: { id: number; path: string; encoding: Encoding; remote: string },
    headerAuth: HeaderAuth,
  ) {
    super(ctx, ws, { ...init, kind: 'trading' });
    if (headerAuth.state === 'ok') this.authorize(headerAuth.account);
    const every = ctx.options.tradingHeartbeatMs;
    if (every !== null && every > 0)
      this.heartbeatTimer = ctx.clock.setRepeating(every, () => this.heartbeat());
  }

  /** One heartbeat frame: binary, the single byte 0x01. */
  heartbeat(): void {
    this.sendRaw(HEARTBEAT, true, null);
  }

  /** Alpaca's error frame; `close` (default) then closes the socket like Alpaca does. */
  sendError(message: string, opts: { close?: boolean } = {}): void {
    this.reply({ action: 'error', data: { error_message: message } });
    if (opts.close ?? true) this.closeWith(1000, '');
  }

  get listening(): readonly string[] {
    return this.record.listening;
  }

  /** Sends one trade update if this session is authorized and listens to trade_updates. */
  deliverUpdate(data: Record<string, unknown>): boolean {
    if (this.account === null || !this.record.listening.includes('trade_updates')) return false;
    this.reply({ stream: 'trade_updates', data });
    return true;
  }

  /** Bare-object frame: binary JSON (paper) or text (live); binary msgpack when negotiated. */
  reply(obj: Record<string, unknown>): void {
    const binary = this.encoding === 'msgpack' || this.ctx.options.tradingFrames === 'binary';
    this.sendValue(obj, [obj], { binary });
  }

  protected handle(frame: DecodedClientFrame): void {
    const msg = frame.ok ? frame.value : null;
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.sendError('invalid syntax', { close: false });
      return;
    }
    const request = msg as Record<string, unknown>;
    const data = (typeof request.data === 'object' && request.data !== null ? request.data : {}) as Record<
      string,
      unknown
    >;
    switch (request.action) {
      case 'auth':
      case 'authenticate': {
        const account =
          request.action === 'auth'
            ? this.ctx.accounts.check(request.key, request.secret)
            : this.ctx.accounts.check(data.key_id, data.secret_key);
        if (account === null) {
          this.ctx.log.add({
            type: 'auth',
            at: this.ctx.clock.now(),
            connId: this.id,
            keyId: null,
            outcome: 'failed',
          });
          this.reply({
            stream: 'authorization',
            data: { status: 'unauthorized', action: 'authenticate' },
          });
          return;
        }
        this.authorize(account);
        this.reply({
          stream: 'authorization',
          data: { status: 'authorized', action: 'authenticate' },
        });
        return;
      }
      case 'listen': {
        if (this.account === null) {
          this.reply({ stream: 'authorization', data: { status: 'unauthorized', action: 'listen' } });
          return;
        }
        const streams = Array.isArray(data.streams) ? data.streams : [];
        this.record.listening = streams.filter(
          (s): s is string => typeof s === 'string' && KNOWN_STREAMS.includes(s),
        );
        this.reply({ stream: 'listening', data: { streams: [...this.record.listening] } });
        return;
      }
      default: {
        this.sendError('invalid syntax', { close: false });
        return;
      }
    }
  }

  protected onHandlerError(): void {
    this.sendError('internal error', { close: false });
  }

  protected onEnded(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = null;
  }

  private authorize(account: Account): void {
    this.account = account;
    this.recordAuthOk(account);
  }
}
