/**
 * startAlpacaSim: one node:http server on 127.0.0.1 serving the market-data stream paths, the
 * trading stream `/stream` and the historical REST API, plus the control surface tests use
 * (push data, fault switches, log).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AccountBook } from './accounts.ts';
import { ActivityLedger } from './activities.ts';
import type { CalendarRow } from './calendar.ts';
import { systemClock, type TimerHandle } from './clock.ts';
import type { Encoding } from './codec.ts';
import type { SimConnection, SimContext } from './connection.ts';
import { startFakepaca } from './fakepaca.ts';
import { Faults } from './faults.ts';
import { type GenerateOptions, type Generator, startGenerator } from './generator.ts';
import { History } from './history.ts';
import { SimLog } from './log.ts';
import { MarketConnection } from './market-connection.ts';
import { MarketData, type Message, normaliseMessage } from './market-data.ts';
import { DEFAULT_ACCOUNTS, type SimOptions, type SimOptionsInput } from './options.ts';
import { endpointOf, type StockFeed } from './protocol.ts';
import { handleRest } from './rest.ts';
import { RestBudget } from './rest-budget.ts';
import { SessionTable } from './session-table.ts';
import { TradingConnection } from './trading-connection.ts';

export interface SimUrls {
  /** Stream base, e.g. ws://127.0.0.1:PORT; append `/v2/iex` etc. */
  stream: string;
  /** Trading stream, ws://127.0.0.1:PORT/stream. */
  trading: string;
  /** REST base, http://127.0.0.1:PORT (paths /v2/stocks/...). */
  rest: string;
}

export interface PushOptions {
  /** Feeds to send to (default: iex, sip, delayed_sip; the test feed only when named). */
  feed?: StockFeed | StockFeed[];
  /** Only this connection. */
  connectionId?: number;
  /** Messages per frame (default: the sim's batchSize). */
  batchSize?: number;
  /** Record bars/trades/quotes for REST (default true, except for the test feed). */
  record?: boolean;
}

const LIVE_FEEDS: StockFeed[] = ['iex', 'sip', 'delayed_sip'];

export class AlpacaSim {
  readonly urls: SimUrls;
  readonly port: number;
  readonly ctx: SimContext;
  readonly data: MarketData;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly conns = new Map<number, SimConnection>();
  private readonly background: TimerHandle[] = [];
  private readonly generators = new Set<Generator>();

  constructor(server: Server, wss: WebSocketServer, ctx: SimContext, port: number) {
    this.server = server;
    this.wss = wss;
    this.ctx = ctx;
    this.port = port;
    this.data = new MarketData(ctx.clock, ctx.options.seed);
    const base = `127.0.0.1:${port}`;
    this.urls = { stream: `ws://${base}`, trading: `ws://${base}/stream`, rest: `http://${base}` };
  }

  get log(): SimLog {
    return this.ctx.log;
  }

  get clock(): SimContext['clock'] {
    return this.ctx.clock;
  }

  get accounts(): AccountBook {
    return this.ctx.accounts;
  }

  get history(): History {
    return this.ctx.history;
  }

  /** ws://127.0.0.1:PORT/v2/{feed} */
  streamUrl(feed: StockFeed = 'iex'): string {
    return `${this.urls.stream}/v2/${feed}`;
  }

  /** @internal called by the upgrade handler */
  register(conn: SimConnection): void {
    this.conns.set(conn.id, conn);
    conn.ws.once('close', () => this.conns.delete(conn.id));
  }

  /** Open connections (market, minimal and trading). */
  connections(): SimConnection[] {
    return [...this.conns.values()];
  }

  connection(id: number): SimConnection {
    const c = this.conns.get(id);
    if (c === undefined) throw new Error(`sim: no open connection ${id}`);
    return c;
  }

  marketConnection(id: number): MarketConnection {
    const c = this.connection(id);
    if (!(c instanceof MarketConnection))
      throw new Error(`sim: connection ${id} is not a market-data connection`);
    return c;
  }

  tradingConnection(id: number): TradingConnection {
    const c = this.connection(id);
    if (!(c instanceof TradingConnection))
      throw new Error(`sim: connection ${id} is not a trading connection`);
    return c;
  }

  /**
   * Sends data messages now to every authenticated connection of the target feeds whose
   * subscription admits them (frames of at most batchSize), and records them for REST.
   */
  push(messages: readonly unknown[], opts: PushOptions = {}): void {
    const msgs: Message[] = messages.map(normaliseMessage);
    const feeds = opts.feed === undefined ? LIVE_FEEDS : Array.isArray(opts.feed) ? opts.feed : [opts.feed];
    if (opts.record ?? !feeds.every((f) => f === 'test')) for (const m of msgs) this.ctx.history.record(m);
    for (const c of this.conns.values()) {
      if (!(c instanceof MarketConnection) || c.endpoint.kind !== 'stock') continue;
      if (opts.connectionId !== undefined ? c.id !== opts.connectionId : !feeds.includes(c.endpoint.feed))
        continue;
      c.deliver(msgs, opts.batchSize);
    }
  }

  /** Records messages as history for REST without streaming them (backfill before the stream started). */
  record(messages: readonly unknown[]): void {
    for (const m of messages.map(normaliseMessage)) this.ctx.history.record(m);
  }

  /** Pushes at the given clock time (epoch ms). */
  pushAt(atMs: number, messages: readonly unknown[], opts: PushOptions = {}): TimerHandle {
    const msgs = messages.map(normaliseMessage);
    return this.ctx.clock.setTimer(atMs - this.ctx.clock.now(), () => this.push(msgs, opts));
  }

  /**
   * Sends one frame as given to a connection: an array is encoded in the connection's encoding;
   * a string or Buffer goes out verbatim (malformed frames, unknown types, extra keys).
   */
  pushFrame(
    connId: number,
    payload: string | Buffer | readonly unknown[],
    opts: { binary?: boolean } = {},
  ): void {
    const c = this.connection(connId);
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      c.sendRaw(payload, opts.binary ?? Buffer.isBuffer(payload), null);
    } else {
      c.sendMessages(payload, opts);
    }
  }

  /** Bytes queued on a connection's socket not yet written (flow control for bulk raw frames). */
  bufferedAmount(connId: number): number {
    return this.connection(connId).ws.bufferedAmount;
  }

  /**
   * Answers the next REST request(s) with this response instead of a page (hostile responses:
   * huge, deeply nested, mistyped). Auth and the request budget still apply before it.
   */
  /** Serves these rows on /v2/calendar instead of the static NYSE table (null: back to the table). */
  setCalendar(rows: CalendarRow[] | null): void {
    this.ctx.faults.calendarRows = rows;
  }

  /** The next `count` /v2/calendar requests fail with `status` (0: the socket is dropped). */
  failCalendar(count: number, status = 500): void {
    for (let i = 0; i < count; i++) this.ctx.faults.calendarFailures.push(status);
  }

  overrideNextRest(
    response: { status?: number; body: string | Buffer; contentType?: string },
    count = 1,
  ): void {
    for (let i = 0; i < count; i++) this.ctx.faults.restOverrides.push(response);
  }

  /** Sends a trade update to trading sessions listening to trade_updates (optionally one account); returns how many got it. */
  pushTradeUpdate(data: Record<string, unknown>, opts: { keyId?: string } = {}): number {
    // A fill happened at the broker whether or not a socket hears of it: it is an account
    // activity (of the named account, else of every account) from now on.
    for (const a of this.ctx.accounts.all())
      if (opts.keyId === undefined || a.keyId === opts.keyId) this.ctx.activities.record(a.keyId, data);
    let n = 0;
    for (const c of this.conns.values()) {
      if (!(c instanceof TradingConnection)) continue;
      if (opts.keyId !== undefined && c.account?.keyId !== opts.keyId) continue;
      if (c.deliverUpdate(data)) n++;
    }
    return n;
  }

  /** Generated mode: N events/s over M symbols, driven by the sim clock. */
  generate(opts: GenerateOptions): Generator {
    const g = startGenerator(this, opts);
    this.generators.add(g);
    return g;
  }

  // ---- fault switches -------------------------------------------------------------------

  /** Destroys the TCP socket without a close frame; the session's slot lingers. */
  drop(connId: number): void {
    this.connection(connId).drop();
  }

  /** Closes with a close frame and the given code (1000-1014 sendable codes, 3000-4999). */
  closeConnection(connId: number, code = 1000, reason = ''): void {
    this.connection(connId).closeWith(code, reason);
  }

  /** Stops data to one connection (or all with null) while pings are still answered. */
  mute(connId: number | null, on = true): void {
    const f = this.ctx.faults;
    if (connId === null) f.mutedAll = on;
    else if (on) f.mutedIds.add(connId);
    else f.mutedIds.delete(connId);
  }

  /** Slow-client disconnect now: 407 `slow client` (unless send407 false) then close. */
  slowClient(connId: number, opts: { send407?: boolean } = {}): void {
    this.marketConnection(connId).slowClient(opts.send407 ?? true);
  }

  /** Trading stream: `{"action":"error","data":{"error_message":message}}`, then (default) close. */
  tradingError(connId: number, message: string, opts: { close?: boolean } = {}): void {
    this.tradingConnection(connId).sendError(message, opts);
  }

  /** Trading stream: one heartbeat frame (binary 0x01) now, to one connection or every trading one. */
  tradingHeartbeat(connId: number | null = null): void {
    for (const c of this.conns.values())
      if (c instanceof TradingConnection && (connId === null || c.id === connId)) c.heartbeat();
  }

  /** 500 `internal error` then close. */
  internalError(connId: number): void {
    this.marketConnection(connId).internalError();
  }

  /** Sends the next data frame(s) twice, to one connection or (null) to whichever gets one next. */
  duplicateNextFrame(connId: number | null = null, count = 1): void {
    this.ctx.faults.duplicateNext(connId, count);
  }

  /** Answers the next `count` upgrades (optionally on one path) with this HTTP status instead of 101. */
  rejectUpgrades(status = 429, count = 1, path: string | null = null): void {
    this.ctx.faults.rejectUpgrades(status, count, path);
  }

  /** Upgrades on one path closer together than this get 429 (null switches it off). */
  setUpgradeMinInterval(ms: number | null): void {
    this.ctx.faults.upgradeMinIntervalMs = ms;
  }

  /**
   * Subscribes leave these symbols out (of the set and the `subscription` ack), every channel,
   * every connection, until `stopWithholding`; the rest of each request is applied as usual.
   */
  withholdFromAcks(symbols: readonly string[]): void {
    for (const s of symbols) this.ctx.faults.withheld.add(s);
  }

  /** Subscribes take every symbol again (already withheld ones need a new subscribe, as on Alpaca). */
  stopWithholding(symbols?: readonly string[]): void {
    if (symbols === undefined) this.ctx.faults.withheld.clear();
    else for (const s of symbols) this.ctx.faults.withheld.delete(s);
  }

  /** The next `count` auths (or the given connection's next auth) get 406 whatever the table says. */
  force406(opts: { count?: number; connectionId?: number } = {}): void {
    this.ctx.faults.force406(opts.count ?? 1, opts.connectionId ?? null);
  }

  setLingerMs(ms: number): void {
    this.ctx.sessions.lingerMs = ms;
  }

  /** Restart: every connection goes (dropped without a close frame, or closed with 1012), and the session table is forgotten. */
  restart(opts: { how?: 'drop' | 'close' } = {}): void {
    for (const c of this.conns.values()) {
      if (opts.how === 'close') c.closeWith(1012, 'service restart');
      else c.drop();
    }
    this.ctx.sessions.clear();
  }

  /**
   * Stops generators and timers, ends every socket and the server. Default: sockets are dropped
   * (fast, for tests); `how: 'close'` sends 1001 going away and waits up to `graceMs` for the
   * clients' close replies before dropping what is left.
   */
  async close(opts: { how?: 'drop' | 'close'; graceMs?: number } = {}): Promise<void> {
    for (const g of [...this.generators]) g.stop();
    for (const t of this.background) t.cancel();
    if (opts.how === 'close' && this.conns.size > 0) {
      const closed = [...this.conns.values()].map((c) => new Promise((r) => c.ws.once('close', r)));
      for (const c of this.conns.values()) c.closeWith(1001, 'going away');
      await Promise.race([
        Promise.all(closed),
        new Promise((r) => setTimeout(r, opts.graceMs ?? 1_000).unref()),
      ]);
    }
    for (const c of this.conns.values()) c.ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** @internal */
  addBackground(t: TimerHandle): void {
    this.background.push(t);
  }

  /** @internal */
  forgetGenerator(g: Generator): void {
    this.generators.delete(g);
  }
}

function resolveOptions(input: SimOptionsInput): SimOptions {
  return {
    port: input.port ?? 0,
    host: input.host ?? '127.0.0.1',
    accounts: input.accounts ?? DEFAULT_ACCOUNTS,
    clock: input.clock ?? systemClock,
    authTimeoutMs: input.authTimeoutMs ?? 10_000,
    lingerMs: input.lingerMs ?? 90_000,
    closeAfter: {
      authTimeout: true,
      authFailed: true,
      connectionLimit: false,
      insufficientSubscription: true,
      ...input.closeAfter,
    },
    headerAuthSendsAuthenticated: input.headerAuthSendsAuthenticated ?? true,
    batchSize: input.batchSize ?? 20,
    msgpackTimestampWidth: input.msgpackTimestampWidth ?? 'compact',
    subscriptionIncludesImbalances: input.subscriptionIncludesImbalances ?? false,
    maxBufferedBytes: input.maxBufferedBytes ?? 16 * 1024 * 1024,
    slowClientSends407: input.slowClientSends407 ?? true,
    perMessageDeflate: input.perMessageDeflate ?? true,
    testStream: input.testStream ?? true,
    tradingFrames: input.tradingFrames ?? 'binary',
    tradingHeartbeatMs: input.tradingHeartbeatMs ?? null,
    seed: input.seed ?? 42,
    logFrames: input.logFrames ?? true,
    historyLimit: input.historyLimit ?? 200_000,
  };
}

function refuseUpgrade(socket: Duplex, status: number): void {
  const text = status === 404 ? 'Not Found' : status === 429 ? 'Too Many Requests' : 'Error';
  const body = status === 429 ? 'too many requests.' : text;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function startAlpacaSim(input: SimOptionsInput = {}): Promise<AlpacaSim> {
  const options = resolveOptions(input);
  const log = new SimLog();
  log.logFrames = options.logFrames;
  const ctx: SimContext = {
    options,
    clock: options.clock,
    accounts: new AccountBook(options.accounts),
    sessions: new SessionTable(options.clock, options.lingerMs),
    log,
    faults: new Faults(),
    history: new History(options.historyLimit),
    restBudget: new RestBudget(options.clock),
    activities: new ActivityLedger(),
  };
  const server = createServer((req, res) => handleRest(ctx, req, res));
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: options.perMessageDeflate
      ? { serverNoContextTakeover: false, clientNoContextTakeover: false }
      : false,
    maxPayload: 16 * 1024 * 1024,
  });
  let nextId = 1;
  let sim: AlpacaSim | null = null;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://sim').pathname;
    } catch {
      path = req.url ?? '';
    }
    socket.on('error', () => {
      // a client that resets during the handshake must not take the server down
    });
    const endpoint = endpointOf(path);
    const verdict = endpoint === null ? 404 : ctx.faults.upgradeVerdict(path, ctx.clock.now());
    if (endpoint === null || verdict !== null || sim === null) {
      log.add({ type: 'upgrade-refused', at: ctx.clock.now(), path, status: verdict ?? 404 });
      refuseUpgrade(socket, verdict ?? 404);
      return;
    }
    const encoding: Encoding = /application\/msgpack/i.test(req.headers['content-type'] ?? '')
      ? 'msgpack'
      : 'json';
    const headerAuth = ctx.accounts.fromHeaders(req.headers);
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const owner = sim;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = nextId++;
      const conn =
        endpoint.kind === 'trading'
          ? new TradingConnection(ctx, ws, { id, path, encoding, remote }, headerAuth)
          : new MarketConnection(ctx, ws, { id, endpoint, encoding, remote }, headerAuth);
      owner.register(conn);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  sim = new AlpacaSim(server, wss, ctx, port);
  if (options.testStream) startFakepaca(sim);
  return sim;
}
