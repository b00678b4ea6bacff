/**
 * What both Alpaca streams (market data, trade updates) run their protocol on: the connection
 * supervisor set up from the stream's config (defaults for backoff and timing, the stream's
 * frame bound), the gap across a reconnect, decode-issue reporting and event delivery. A stream
 * supplies only its protocol session (handshake, frame handling); this module supplies the rest.
 *
 * Gaps: data noted at `atMs` (`noteData`, `deliver`) moves the start of the next gap; when a
 * connection that went live ends, the gap opens at the last data (or going live, if later); the
 * next connection's `live()` closes it and hands it to `onGap`. Nothing was missed while live
 * before the last data.
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../lib/time/clock.ts';
import { type BackoffConfig, DEFAULT_BACKOFF } from './backoff.ts';
import {
  type ConnectionTiming,
  createSupervisor,
  DEFAULT_TIMING,
  type Session,
  type SessionLink,
} from './connection-supervisor.ts';
import { createIssueReporter, type DecodeIssue, type DecodeIssueSink } from './decode-issues.ts';
import { withMaxPayload } from './frame-bounds.ts';
import { DEFAULT_READ_QUEUE, type ReadBacklog, type ReadQueueConfig } from './read-queue.ts';
import { type AlpacaCredentials, maskKeyId } from './secrets.ts';
import { type SocketFactory, type SocketOptions, wsSocketFactory } from './socket.ts';
import type { AlpacaEvent, StreamGap, StreamName, StreamState } from './types.ts';

/** What every stream's config has: the account, and overrides of the reconnect and timing defaults. */
export interface StreamConnectionConfig {
  credentials: AlpacaCredentials;
  reconnect?: Partial<BackoffConfig>;
  timing?: Partial<ConnectionTiming>;
  /** Bound and slice of the queue between socket reads and frame handling (read-queue.ts). */
  readQueue?: Partial<ReadQueueConfig>;
}

export interface StreamSessionConfig extends StreamConnectionConfig {
  stream: StreamName;
  url: string;
  headers: Record<string, string>;
  /** Largest message the stream may send (frame-bounds.ts). */
  maxPayloadBytes: number;
  /** Further socket options the stream sets (market data: permessage-deflate). */
  socketOptions?: Pick<SocketOptions, 'perMessageDeflate'>;
  /** The start log line: its message and fields beside `url` and `masked_key_id`. */
  startLog: { msg: string; fields?: Record<string, unknown> };
  /** How a gap is logged when it closes. */
  gapLog: { level: 'info' | 'warn'; msg: string };
}

/** What every stream reports to and is given (clock, randomness and socket for tests). */
export interface StreamSessionDeps {
  logger: Logger;
  /** Events of one frame, in read order. Called from the read queue's slices (read-queue.ts). */
  onEvents(batch: AlpacaEvent[]): void;
  onState(state: StreamState): void;
  /** The time a reconnect may have lost (from the last data before a drop to going live again). */
  onGap?(gap: StreamGap): void;
  onDecodeIssue?: DecodeIssueSink;
  clock?: Clock;
  random?: () => number;
  socketFactory?: SocketFactory;
  /** How the read queue's next slice is scheduled (default setImmediate; tests run it inline). */
  scheduleSlice?: (fn: () => void) => void;
}

/** What one connection's protocol session may use besides its link. */
export interface SessionContext {
  link: SessionLink;
  /** Reports a decode issue of this stream (logged paced, handed to onDecodeIssue). */
  issue(kind: DecodeIssue['kind'], type: string | null, reason: string, atMs: number): void;
  /** Data read at `atMs` (forwarded or not): a later gap starts after it. */
  noteData(atMs: number): void;
  /** Hands a batch read at `receivedAtMs` to onEvents (nothing for an empty batch). */
  deliver(batch: AlpacaEvent[], receivedAtMs: number): void;
  /** Handshake complete: the link is ready and the gap since the last connection is reported. */
  live(): void;
}

/** A stream's protocol on one connection; discarded frames are counted here. */
export type ProtocolSession = Omit<Session, 'onDiscardedFrame' | 'onEnd'> & { onEnd?(): void };

export interface StreamSession {
  start(): void;
  stop(): Promise<void>;
  state(): StreamState | null;
  /** Frames read and not yet handled (the read queue), and whether reads are paused. */
  readBacklog(): ReadBacklog;
}

/** Calls a caller's handler; a throw is logged (`<name> handler threw`), never propagated. */
export function callHandler(
  logger: Logger,
  name: string,
  fn: () => void,
  fields: Record<string, unknown> = {},
): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err, ...fields }, `${name} handler threw`);
  }
}

export function createStreamSession(
  config: StreamSessionConfig,
  deps: StreamSessionDeps,
  createProtocol: (ctx: SessionContext) => ProtocolSession,
): StreamSession {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const reportIssue = createIssueReporter(
    logger,
    deps.onDecodeIssue,
    deps.clock ? { clock: deps.clock } : {},
  );
  const issue: SessionContext['issue'] = (kind, type, reason, atMs) =>
    reportIssue({ stream: config.stream, kind, type, reason, atMs });

  let lastDataAtMs: number | null = null;
  let gapFromMs: number | null = null;

  const noteData = (atMs: number): void => {
    lastDataAtMs = atMs;
  };

  function reportGap(toMs: number): void {
    if (gapFromMs === null) return;
    const gap: StreamGap = { fromMs: gapFromMs, toMs };
    gapFromMs = null;
    logger[config.gapLog.level]({ gap }, config.gapLog.msg);
    callHandler(logger, 'onGap', () => deps.onGap?.(gap));
  }

  function createSession(link: SessionLink): Session {
    let readyAtMs: number | null = null;
    const protocol = createProtocol({
      link,
      issue,
      noteData,
      deliver(batch, receivedAtMs) {
        if (batch.length === 0) return;
        noteData(receivedAtMs);
        callHandler(logger, 'onEvents', () => deps.onEvents(batch), { events: batch.length });
      },
      live() {
        readyAtMs = clock.now();
        link.ready();
        reportGap(readyAtMs);
      },
    });
    return {
      ...protocol,
      onDiscardedFrame(receivedAtMs) {
        issue('not_forwarded', null, 'shutdown', receivedAtMs);
      },
      onEnd() {
        protocol.onEnd?.();
        if (readyAtMs !== null && gapFromMs === null)
          gapFromMs = Math.max(lastDataAtMs ?? readyAtMs, readyAtMs);
      },
    };
  }

  const socketFactory = deps.socketFactory ?? wsSocketFactory;
  const supervisor = createSupervisor({
    stream: config.stream,
    url: config.url,
    headers: config.headers,
    socketFactory: withMaxPayload(
      (url, options, events) => socketFactory(url, { ...options, ...config.socketOptions }, events),
      config.maxPayloadBytes,
    ),
    clock,
    random: deps.random ?? Math.random,
    backoff: { ...DEFAULT_BACKOFF, ...config.reconnect },
    timing: { ...DEFAULT_TIMING, ...config.timing },
    logger,
    onState: deps.onState,
    createSession,
    readQueue: { ...DEFAULT_READ_QUEUE, ...config.readQueue },
    ...(deps.scheduleSlice ? { scheduleSlice: deps.scheduleSlice } : {}),
  });

  return {
    start() {
      logger.info(
        {
          url: config.url,
          ...config.startLog.fields,
          masked_key_id: maskKeyId(config.credentials.keyId),
        },
        config.startLog.msg,
      );
      supervisor.start();
    },
    stop: () => supervisor.stop(),
    state: () => supervisor.lastState(),
    readBacklog: () => supervisor.readBacklog(),
  };
}
