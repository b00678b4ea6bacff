/**
 * One market-data stream session: welcome, auth (message or upgrade headers) with its deadline,
 * the session table (406), subscribe/unsubscribe, filtered and batched data, and the errors with
 * the behaviour after each (alpaca-protocol.md §1-§2, §8 items 2-19).
 */
import type { WebSocket } from 'ws';
import type { Account } from './accounts.ts';
import type { TimerHandle } from './clock.ts';
import type { DecodedClientFrame, Encoding } from './codec.ts';
import { SimConnection, type SimContext } from './connection.ts';
import type { CloseHow } from './log.ts';
import type { Message } from './market-data.ts';
import {
  type AlpacaError,
  AUTHENTICATED,
  CHANNEL_OF_TYPE,
  type Endpoint,
  ERRORS,
  errorMessage,
  OPTIONS_PATHS,
  type StockChannel,
  WELCOME,
} from './protocol.ts';
import {
  admits,
  applySubscriptionRequest,
  emptySubscriptions,
  type SubscriptionState,
  subscriptionMessage,
} from './subscriptions.ts';

/** The request without the withheld symbols (every channel list). */
function withhold(request: Record<string, unknown>, withheld: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request))
    out[k] = Array.isArray(v) ? v.filter((s) => !(typeof s === 'string' && withheld.has(s))) : v;
  return out;
}

export type HeaderAuth = { state: 'absent' } | { state: 'invalid' } | { state: 'ok'; account: Account };

export class MarketConnection extends SimConnection {
  readonly endpoint: Exclude<Endpoint, { kind: 'trading' }>;
  account: Account | null = null;
  private subs: SubscriptionState = emptySubscriptions();
  private authTimer: TimerHandle | null = null;
  private holdsSlot = false;

  constructor(
    ctx: SimContext,
    ws: WebSocket,
    init: {
      id: number;
      endpoint: Exclude<Endpoint, { kind: 'trading' }>;
      encoding: Encoding;
      remote: string;
    },
    headerAuth: HeaderAuth,
  ) {
    super(ctx, ws, {
      id: init.id,
      kind: init.endpoint.kind === 'stock' ? 'market' : 'minimal',
      path: init.endpoint.path,
      encoding: init.encoding,
      remote: init.remote,
    });
    this.endpoint = init.endpoint;
    this.record.subscriptions = this.subs;
    this.sendMessages([WELCOME]);
    if (headerAuth.state === 'ok') this.authenticate(headerAuth.account, true);
    else if (headerAuth.state === 'invalid')
      this.failAuth(ERRORS.authFailed, this.ctx.options.closeAfter.authFailed);
    if (this.account === null && this.open) {
      this.authTimer = ctx.clock.setTimer(ctx.options.authTimeoutMs, () => this.authDeadline());
    }
  }

  get authenticated(): boolean {
    return this.account !== null;
  }

  get subscriptions(): SubscriptionState {
    return this.subs;
  }

  /** The session-table key's endpoint part: the stream path. */
  private get endpointKey(): string {
    return this.endpoint.path;
  }

  sendError(e: AlpacaError): void {
    this.sendMessages([errorMessage(e)]);
  }

  /** Sends data messages the subscription admits, in frames of at most `batchSize`. */
  deliver(messages: readonly Message[], batchSize = this.ctx.options.batchSize): void {
    if (!this.open || this.account === null || this.ctx.faults.isMuted(this.id)) return;
    const wanted = messages.filter((m) => this.admits(m));
    for (let i = 0; i < wanted.length; i += Math.max(1, batchSize)) {
      if (this.ws.bufferedAmount > this.ctx.options.maxBufferedBytes) {
        this.slowClient(this.ctx.options.slowClientSends407);
        return;
      }
      const frame = wanted.slice(i, i + Math.max(1, batchSize));
      this.sendMessages(frame);
      if (this.ctx.faults.takeDuplicate(this.id)) this.sendMessages(frame);
    }
  }

  /** Slow-client disconnect: optionally 407 first, then close. */
  slowClient(send407: boolean): void {
    if (send407) this.sendError(ERRORS.slowClient);
    this.closeWith(1008, 'slow client');
  }

  /** Server-side failure: 500 then close. */
  internalError(): void {
    this.sendError(ERRORS.internalError);
    this.closeWith(1011, 'internal error');
  }

  private admits(m: Message): boolean {
    const channel = CHANNEL_OF_TYPE[m.T];
    if (channel === undefined) return true; // unknown T injected on purpose: delivered to every subscriber
    const symbol = typeof m.S === 'string' ? m.S : '';
    const effective: StockChannel =
      channel === 'corrections' || channel === 'cancelErrors' ? 'trades' : channel;
    return admits(this.subs, effective, symbol);
  }

  protected handle(frame: DecodedClientFrame): void {
    if (!frame.ok) {
      this.sendError(ERRORS.invalidSyntax);
      return;
    }
    const msg = frame.value;
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.sendError(ERRORS.invalidSyntax);
      return;
    }
    const request = msg as Record<string, unknown>;
    switch (request.action) {
      case 'auth': {
        this.onAuth(request);
        return;
      }
      case 'subscribe':
      case 'unsubscribe': {
        this.onSubscription(request.action, request);
        return;
      }
      default: {
        this.sendError(ERRORS.invalidSyntax);
        return;
      }
    }
  }

  protected onHandlerError(): void {
    this.sendError(ERRORS.internalError);
  }

  protected onEnded(how: CloseHow): void {
    this.authTimer?.cancel();
    if (this.holdsSlot) {
      this.ctx.sessions.release(this.id, how === 'abrupt' || how === 'server-drop' ? 'abrupt' : 'clean');
      this.holdsSlot = false;
    }
  }

  private onAuth(request: Record<string, unknown>): void {
    if (this.account !== null) {
      this.sendError(ERRORS.alreadyAuthenticated);
      return;
    }
    const account = this.ctx.accounts.check(request.key, request.secret);
    if (account === null) {
      this.failAuth(ERRORS.authFailed, this.ctx.options.closeAfter.authFailed);
      return;
    }
    this.authenticate(account, false);
  }

  private authenticate(account: Account, viaHeader: boolean): void {
    const { closeAfter } = this.ctx.options;
    if (this.endpoint.kind === 'stock' && !account.feeds.includes(this.endpoint.feed)) {
      this.failAuth(ERRORS.insufficientSubscription, closeAfter.insufficientSubscription, account.keyId);
      return;
    }
    const forced = this.ctx.faults.takeForced406(this.id);
    if (
      forced ||
      !this.ctx.sessions.acquire(account.keyId, this.endpointKey, this.id, account.connectionLimit, () =>
        this.closingCleanly(),
      )
    ) {
      this.failAuth(ERRORS.connectionLimit, closeAfter.connectionLimit, account.keyId);
      return;
    }
    this.holdsSlot = true;
    this.account = account;
    this.authTimer?.cancel();
    this.authTimer = null;
    this.recordAuthOk(account);
    if (!viaHeader || this.ctx.options.headerAuthSendsAuthenticated) this.sendMessages([AUTHENTICATED]);
  }

  private failAuth(e: AlpacaError, close: boolean, keyId: string | null = null): void {
    this.ctx.log.add({
      type: 'auth',
      at: this.ctx.clock.now(),
      connId: this.id,
      keyId,
      outcome: e === ERRORS.authFailed ? 'failed' : e.code,
    });
    this.sendError(e);
    if (close) this.closeWith(1000, e.msg);
  }

  private authDeadline(): void {
    this.authTimer = null;
    if (this.account !== null || !this.open) return;
    this.ctx.log.add({ type: 'auth', at: this.ctx.clock.now(), connId: this.id, keyId: null, outcome: 404 });
    this.sendError(ERRORS.authTimeout);
    if (this.ctx.options.closeAfter.authTimeout) this.closeWith(1000, 'auth timeout');
  }

  private onSubscription(action: 'subscribe' | 'unsubscribe', request: Record<string, unknown>): void {
    if (this.account === null) {
      this.sendError(ERRORS.notAuthenticated);
      return;
    }
    if (OPTIONS_PATHS.includes(this.endpoint.path)) {
      if (this.encoding !== 'msgpack') {
        this.sendError(ERRORS.optionsMsgpackOnly);
        return;
      }
      if (action === 'subscribe' && Array.isArray(request.quotes) && request.quotes.includes('*')) {
        this.sendError(ERRORS.optionsStarQuotes);
        return;
      }
    }
    const withheld = this.ctx.faults.withheld;
    const taken = action === 'subscribe' && withheld.size > 0 ? withhold(request, withheld) : request;
    const result = applySubscriptionRequest(this.subs, action, taken, this.account.symbolLimit);
    if (!result.ok) {
      this.sendError(result.error);
      return;
    }
    this.subs = result.next;
    this.record.subscriptions = this.subs;
    const isTest = this.endpoint.kind === 'stock' && this.endpoint.feed === 'test';
    this.sendMessages([
      subscriptionMessage(this.subs, {
        testStream: isTest,
        includeImbalances: this.ctx.options.subscriptionIncludesImbalances,
      }),
    ]);
  }
}
