/**
 * Keeps one WebSocket connection to an Alpaca stream alive: connects, runs a protocol session on
 * it, keeps it alive with pings, and on any failure closes it (cleanly unless it is dead), waits
 * the backoff and connects again. Reports every state change as a StreamState. Never more than
 * one socket per supervisor: the next attempt starts only from the retry timer, after the old
 * socket was told to close.
 *
 * Alpaca keeps the slot of a session that ended without a close handshake for about
 * `backoff.cooldown406Ms` (~90 s): after such an abrupt end of a session that held a slot
 * (`holdsSlot()`), the next attempt waits until the slot is free instead of meeting a 406.
 * A connection that stayed healthy longer than the wait before it starts the failure count
 * afresh, so drops spread out are each retried at the base delay.
 *
 * Frames go through a read queue (read-queue.ts): read at socket speed, handled in time slices,
 * in read order across connections; a connection's session ends (onEnd) after its last queued
 * frame, and the next connection opens once the queue is empty (so never while it is full).
 * While the queue is full, socket reads pause, and a missing pong is not held against the peer:
 * the forwarder is the one not reading.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../lib/time/clock.ts';
import { type BackoffConfig, parseRetryAfterMs, reconnectDelayMs } from './backoff.ts';
import {
  type Classification,
  classifyClose,
  classifyUpgradeFailure,
  LOCAL_FAILURES,
} from './error-classification.ts';
import { createReadQueue, type ReadBacklog, type ReadQueueConfig } from './read-queue.ts';
import type { SocketFactory, StreamSocket } from './socket.ts';
import type { StreamName, StreamState } from './types.ts';

export interface ConnectionTiming {
  /** TCP connect + upgrade + protocol handshake (welcome, auth, subscription ack). */
  handshakeTimeoutMs: number;
  pingIntervalMs: number;
  /**
   * Nothing inbound (pong or any other frame) within this after a ping → the peer is dead:
   * terminate and reconnect. Any frame proves the socket alive: under load the pong waits behind
   * data still being read, and that data is the proof.
   */
  pongTimeoutMs: number;
  /** How long stop() and a failing connection wait for the close handshake before terminating. */
  closeTimeoutMs: number;
}

export const DEFAULT_TIMING: ConnectionTiming = {
  handshakeTimeoutMs: 10_000,
  pingIntervalMs: 10_000,
  pongTimeoutMs: 5_000,
  closeTimeoutMs: 2_000,
};

/** What a protocol session may do with its connection. */
export interface SessionLink {
  send(data: string | Uint8Array): void;
  /** Handshake complete: the stream is healthy. */
  ready(): void;
  /** Alpaca took a connection slot for this session (auth succeeded): an abrupt end leaves it lingering. */
  holdsSlot?(): void;
  /** Still connected and streaming, but something is wrong (e.g. 405 symbol limit). */
  degrade(c: Classification): void;
  /** Back to healthy after degrade(). */
  recover(): void;
  /** End this connection and schedule the next attempt. */
  fail(c: Classification, options?: { terminate?: boolean; retryAfterMs?: number }): void;
}

export interface Session {
  onOpen(): void;
  onFrame(data: Buffer, isBinary: boolean, receivedAtMs: number): void;
  /** The connection ended (any reason); the session must stop its timers. */
  onEnd(): void;
  /** A data frame that arrived after stop() gave up waiting for the peer's close frame: lost. */
  onDiscardedFrame?(receivedAtMs: number): void;
}

export interface SupervisorOptions {
  stream: StreamName;
  url: string;
  headers: Record<string, string>;
  socketFactory: SocketFactory;
  clock: Clock;
  random: () => number;
  backoff: BackoffConfig;
  timing: ConnectionTiming;
  logger: Logger;
  onState(state: StreamState): void;
  createSession(link: SessionLink): Session;
  readQueue: ReadQueueConfig;
  /** Runs the read queue's next slice after a turn of the event loop (default setImmediate). */
  scheduleSlice?: (fn: () => void) => void;
}

export interface Supervisor {
  start(): void;
  /**
   * Closes the socket with 1000 and waits for the peer's close frame (bounded by closeTimeoutMs);
   * frames the peer sent before it are still delivered; no reconnect afterwards.
   */
  stop(): Promise<void>;
  lastState(): StreamState | null;
  /** Frames read and not yet handled. */
  readBacklog(): ReadBacklog;
}

interface Connection {
  socket: StreamSocket | null;
  session: Session | null;
  opened: boolean;
  ended: boolean;
  /** stop() sent our close frame; data frames are still delivered until the peer's close. */
  draining: boolean;
  closed: boolean;
  discardedFrames: number;
  /** Alpaca holds a slot for this session (see SessionLink.holdsSlot). */
  slotHeld: boolean;
  upgrade: { status: number; retryAfter: string | null } | null;
  timers: TimerHandle[];
  pongDue: TimerHandle | null;
  closeWaiters: (() => void)[];
  /** Frames of this connection in the read queue. */
  queued: number;
}

/** A frame read on a connection, or (data null) the end of that connection's frames. */
interface ReadItem {
  c: Connection;
  data: Buffer | null;
  isBinary: boolean;
  receivedAtMs: number;
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { clock, logger, timing } = options;
  let stopped = false;
  let started = false;
  let failures = 0;
  let conn: Connection | null = null;
  let retryTimer: TimerHandle | null = null;
  let healthyTimer: TimerHandle | null = null;
  let last: StreamState | null = null;
  /** The backoff before the current connection attempt (0 for the first). */
  let lastDelayMs = 0;
  /** Until when Alpaca presumably still holds the slot of a session that ended abruptly. */
  let slotFreeAtMs: number | null = null;
  let pausedAtMs: number | null = null;
  let pauses = 0;

  const queue = createReadQueue<ReadItem>({
    ...options.readQueue,
    ...(options.scheduleSlice ? { schedule: options.scheduleSlice } : {}),
    run(item) {
      if (item.data === null) {
        endSession(item.c);
        return;
      }
      item.c.queued -= 1;
      item.c.session?.onFrame(item.data, item.isBinary, item.receivedAtMs);
    },
    onPressure(full) {
      const s = conn?.socket;
      if (full) {
        pausedAtMs = clock.now();
        pauses += 1;
        s?.pause();
        logger.warn(
          { stream: options.stream, max_bytes: options.readQueue.maxBytes, pauses },
          'read queue full: socket reads paused until half of it is handled (the backlog waits in TCP and at Alpaca)',
        );
      } else {
        s?.resume();
        logger.info(
          { stream: options.stream, paused_ms: clock.now() - (pausedAtMs ?? clock.now()) },
          'read queue drained to half: socket reads resumed',
        );
        pausedAtMs = null;
      }
    },
    onError(err) {
      logger.error({ err, stream: options.stream }, 'frame handler threw');
    },
  });

  function endSession(c: Connection): void {
    try {
      c.session?.onEnd();
    } catch (err) {
      logger.error({ err, stream: options.stream }, 'session cleanup threw');
    }
  }

  function emit(state: Omit<StreamState, 'stream' | 'atMs'>): void {
    const full: StreamState = { stream: options.stream, atMs: clock.now(), ...state };
    last = full;
    try {
      options.onState(full);
    } catch (err) {
      logger.error({ err, stream: options.stream }, 'onState handler threw');
    }
  }

  function clearTimers(c: Connection): void {
    for (const t of c.timers) t.cancel();
    c.timers = [];
    c.pongDue?.cancel();
    c.pongDue = null;
  }

  function closeSocket(c: Connection, terminate: boolean): void {
    if (c.closed || c.socket === null) return;
    if (terminate || !c.socket.isOpen) {
      c.socket.terminate();
      return;
    }
    c.socket.close(1000);
    const guard = clock.setTimeout(() => {
      if (!c.closed) c.socket?.terminate();
    }, timing.closeTimeoutMs);
    c.closeWaiters.push(() => guard.cancel());
  }

  function endConnection(c: Connection, terminate: boolean): void {
    c.ended = true;
    clearTimers(c);
    healthyTimer?.cancel();
    healthyTimer = null;
    // The session ends after the frames read before this (still queued) are handled.
    queue.push({ c, data: null, isBinary: false, receivedAtMs: 0 }, 0);
    closeSocket(c, terminate);
  }

  function failConnection(
    c: Connection,
    cls: Classification,
    opts: { terminate?: boolean; retryAfterMs?: number; abrupt?: boolean } = {},
  ): void {
    if (c.ended || stopped) return;
    endConnection(c, opts.terminate === true);
    failures += 1;
    const now = clock.now();
    if (c.slotHeld && (opts.terminate === true || opts.abrupt === true))
      slotFreeAtMs = now + options.backoff.cooldown406Ms;
    let delay = reconnectDelayMs(options.backoff, cls.retry, failures, options.random, opts.retryAfterMs);
    // The backoff (not the slot wait) is what a healthy period must outlast to reset the count.
    lastDelayMs = delay;
    const lingering = slotFreeAtMs !== null && slotFreeAtMs - now > delay;
    if (lingering) delay = (slotFreeAtMs as number) - now;
    const nextAttemptAtMs = now + delay;
    const status = cls.retry === 'transient' || cls.retry === 'degrade' ? 'reconnect' : 'error';
    logger.warn(
      {
        stream: options.stream,
        reason: cls.reason,
        error_class: cls.errorClass,
        attempt: failures,
        delay_ms: delay,
        ...(lingering ? { waiting_for_slot: true } : {}),
      },
      lingering
        ? 'alpaca stream ended without a close handshake; Alpaca keeps its slot for a while, next attempt once it is free'
        : 'alpaca stream connection failed; next attempt scheduled',
    );
    emit({ status, reason: cls.reason, errorClass: cls.errorClass, attempt: failures, nextAttemptAtMs });
    retryTimer = clock.setTimeout(() => {
      retryTimer = null;
      // Frames of the last connection still queued: connect once they are handled, so the new
      // connection's welcome and auth are answered at once (Alpaca ends a session not
      // authenticated in time: 404 auth timeout) and not behind the old backlog.
      if (queue.state().frames > 0) void queue.idle().then(connect);
      else connect();
    }, delay);
  }

  function discardFrame(c: Connection): void {
    c.discardedFrames += 1;
    if (c.discardedFrames === 1)
      logger.warn(
        { stream: options.stream, close_timeout_ms: timing.closeTimeoutMs },
        'stop: no close frame from Alpaca in time; frames still arriving are dropped (counted as shutdown)',
      );
    try {
      c.session?.onDiscardedFrame?.(clock.now());
    } catch (err) {
      logger.error({ err, stream: options.stream }, 'onDiscardedFrame handler threw');
    }
  }

  /**
   * stop() on an open connection: our close frame goes out, but frames Alpaca sent before it
   * are still delivered until its close frame arrives; past closeTimeoutMs the socket is
   * terminated and later frames are discarded (counted).
   */
  async function drain(c: Connection, closed: Promise<void>): Promise<void> {
    c.draining = true;
    clearTimers(c);
    c.socket?.close(1000);
    const guard = clock.setTimeout(() => {
      if (!c.closed && !c.ended) endConnection(c, true);
    }, timing.closeTimeoutMs);
    c.closeWaiters.push(() => guard.cancel());
    await closed;
    if (!c.ended) endConnection(c, false);
  }

  /** Something arrived from the peer: the ping in flight, if any, is answered. */
  function provedAlive(c: Connection): void {
    if (c.pongDue === null) return;
    c.pongDue.cancel();
    c.pongDue = null;
  }

  function armPing(c: Connection): void {
    const t = clock.setTimeout(() => {
      if (c.ended) return;
      c.socket?.ping();
      c.pongDue?.cancel();
      c.pongDue = clock.setTimeout(() => {
        c.pongDue = null;
        // Reads are paused: the pong may be waiting in TCP behind data not yet read.
        if (queue.state().paused) return;
        failConnection(c, LOCAL_FAILURES.pingTimeout, { terminate: true });
      }, timing.pongTimeoutMs);
      armPing(c);
    }, timing.pingIntervalMs);
    c.timers.push(t);
  }

  function connect(): void {
    if (stopped) return;
    const c: Connection = {
      socket: null,
      session: null,
      opened: false,
      ended: false,
      draining: false,
      closed: false,
      discardedFrames: 0,
      slotHeld: false,
      upgrade: null,
      timers: [],
      pongDue: null,
      closeWaiters: [],
      queued: 0,
    };
    conn = c;
    emit({ status: 'connecting', reason: null, errorClass: null, attempt: failures + 1 });
    let healthy = false;
    const link: SessionLink = {
      send(data) {
        if (!c.ended && !c.draining) c.socket?.send(data);
      },
      ready() {
        if (c.ended || healthy) return;
        healthy = true;
        handshakeTimer.cancel();
        emit({ status: 'healthy', reason: null, errorClass: null, attempt: 0 });
        healthyTimer?.cancel();
        // Healthy for longer than the wait before it (bounded by healthyResetMs): a later drop is
        // a new failure, not one more of a run. A server that drops at once keeps escalating.
        const resetAfterMs = Math.min(
          options.backoff.healthyResetMs,
          Math.max(options.backoff.baseMs, lastDelayMs),
        );
        healthyTimer = clock.setTimeout(() => {
          healthyTimer = null;
          if (!c.ended) failures = 0;
        }, resetAfterMs);
      },
      holdsSlot() {
        if (c.ended) return;
        c.slotHeld = true;
        // The slot is ours: whatever lingered before is gone.
        slotFreeAtMs = null;
      },
      degrade(cls) {
        if (c.ended) return;
        logger.warn({ stream: options.stream, reason: cls.reason }, 'alpaca stream degraded');
        emit({ status: 'degraded', reason: cls.reason, errorClass: cls.errorClass, attempt: 0 });
      },
      recover() {
        if (c.ended || last?.status !== 'degraded') return;
        emit({ status: 'healthy', reason: null, errorClass: null, attempt: 0 });
      },
      fail(cls, opts) {
        failConnection(c, cls, opts);
      },
    };
    // The peer's handshake replies may be read and still queued behind an older backlog (a
    // reconnect under overload): while frames of this connection wait, the deadline moves on.
    const onHandshakeDeadline = (): void => {
      if (c.queued > 0) {
        handshakeTimer = clock.setTimeout(onHandshakeDeadline, timing.handshakeTimeoutMs);
        c.timers.push(handshakeTimer);
        return;
      }
      failConnection(c, LOCAL_FAILURES.handshakeTimeout, { terminate: !c.opened });
    };
    let handshakeTimer = clock.setTimeout(onHandshakeDeadline, timing.handshakeTimeoutMs);
    c.timers.push(handshakeTimer);
    c.session = options.createSession(link);
    try {
      c.socket = options.socketFactory(
        options.url,
        { headers: options.headers, handshakeTimeoutMs: timing.handshakeTimeoutMs },
        {
          onOpen() {
            if (c.ended) return;
            c.opened = true;
            armPing(c);
            c.session?.onOpen();
          },
          onMessage(data, isBinary) {
            if (c.ended) {
              if (stopped) discardFrame(c);
              return;
            }
            provedAlive(c);
            c.queued += 1;
            queue.push({ c, data, isBinary, receivedAtMs: clock.now() }, data.length);
          },
          onPong() {
            provedAlive(c);
          },
          onUpgradeRefused(status, retryAfter) {
            c.upgrade = { status, retryAfter };
          },
          onError(err) {
            logger.debug({ stream: options.stream, err }, 'alpaca socket error');
          },
          onClose(code) {
            c.closed = true;
            for (const w of c.closeWaiters.splice(0)) w();
            if (c.ended || c.draining) return;
            if (c.upgrade !== null) {
              const retryAfterMs = parseRetryAfterMs(c.upgrade.retryAfter, clock.now());
              failConnection(c, classifyUpgradeFailure(c.upgrade.status), { retryAfterMs });
            } else if (!c.opened) {
              failConnection(c, LOCAL_FAILURES.connectFailed);
            } else {
              // 1006: the TCP connection ended without a close frame; Alpaca's side lingers.
              failConnection(c, classifyClose(code), { abrupt: code === 1006 });
            }
          },
        },
      );
    } catch (err) {
      logger.error({ stream: options.stream, err }, 'could not create socket');
      c.closed = true;
      failConnection(c, LOCAL_FAILURES.connectFailed);
    }
  }

  return {
    start() {
      if (started) return;
      started = true;
      connect();
    },
    async stop() {
      stopped = true;
      retryTimer?.cancel();
      retryTimer = null;
      healthyTimer?.cancel();
      const c = conn;
      if (c === null || c.closed) {
        if (c !== null && !c.ended) endConnection(c, false);
        return queue.idle();
      }
      const closed = new Promise<void>((resolve) => c.closeWaiters.push(resolve));
      if (!c.ended && c.socket?.isOpen === true) {
        // Frames the peer sent before its close frame are handled before stop() resolves.
        if (queue.state().paused) c.socket.resume();
        await drain(c, closed);
        return queue.idle();
      }
      if (!c.ended) endConnection(c, false);
      else closeSocket(c, false);
      await closed;
      return queue.idle();
    },
    lastState: () => last,
    readBacklog: () => queue.state(),
  };
}
