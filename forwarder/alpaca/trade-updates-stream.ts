/**
 * The trade-updates stream: `{tradeStreamUrl}/stream`, auth `{"action":"auth","key","secret"}`
 * (no welcome), listen `trade_updates`, forward every update. Frames are JSON in text (live) or
 * binary (paper) frames; a binary frame of the single byte 0x01 is a heartbeat (counted, nothing
 * else); `{"action":"error",...}` comes just before Alpaca closes and fails the connection with
 * the class its text names. Same supervisor (backoff, keepalive, states) as the market-data stream;
 * no stale detector (order updates are legitimately rare). Alpaca does not replay order updates
 * after a reconnect: the time without a connection is handed on as a gap (deps.onGap); the app
 * reconciles its fills from /v2/account/activities and reports it (app/fill-reconciler.ts).
 */
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../lib/time/clock.ts';
import { type BackoffConfig, DEFAULT_BACKOFF } from './backoff.ts';
import {
  type ConnectionTiming,
  createSupervisor,
  DEFAULT_TIMING,
  type SessionLink,
} from './connection-supervisor.ts';
import { createIssueReporter, type DecodeIssueSink } from './decode-issues.ts';
import { classifyTradeStreamError, LOCAL_FAILURES } from './error-classification.ts';
import { MAX_TRADE_UPDATES_FRAME_BYTES, withMaxPayload } from './frame-bounds.ts';
import { decodeFrame } from './frame-decode.ts';
import { type AlpacaCredentials, loggableAlpacaText, maskKeyId } from './secrets.ts';
import { type SocketFactory, wsSocketFactory } from './socket.ts';
import { decodeTradeStreamMessage } from './trade-update-decode.ts';
import type { AlpacaEvent, StreamGap, StreamState } from './types.ts';

export interface TradeUpdatesStreamConfig {
  /** e.g. wss://paper-api.alpaca.markets; `/stream` is appended unless already there. */
  tradeStreamUrl: string;
  credentials: AlpacaCredentials;
  reconnect?: Partial<BackoffConfig>;
  timing?: Partial<ConnectionTiming>;
}

export interface TradeUpdatesStreamDeps {
  logger: Logger;
  onEvents(batch: AlpacaEvent[]): void;
  onState(state: StreamState): void;
  onDecodeIssue?: DecodeIssueSink;
  /** A gap after a reconnect (from the last update, or going live, to listening again). */
  onGap?(gap: StreamGap): void;
  /** Alpaca's 1-byte binary heartbeat frame (0x01) arrived; it carries nothing to forward. */
  onHeartbeat?(): void;
  clock?: Clock;
  random?: () => number;
  socketFactory?: SocketFactory;
}

export interface TradeUpdatesStream {
  start(): void;
  stop(): Promise<void>;
  state(): StreamState | null;
}

/** The trading stream's heartbeat: a binary frame holding the single byte 0x01. */
const HEARTBEAT_BYTE = 0x01;

export function tradeUpdatesUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/stream') ? trimmed : `${trimmed}/stream`;
}

export function createTradeUpdatesStream(
  config: TradeUpdatesStreamConfig,
  deps: TradeUpdatesStreamDeps,
): TradeUpdatesStream {
  const clock = deps.clock ?? systemClock;
  const url = tradeUpdatesUrl(config.tradeStreamUrl);
  const logger = deps.logger.child({ component: 'alpaca-trade-updates' });
  const reportIssue = createIssueReporter(
    logger,
    deps.onDecodeIssue,
    deps.clock ? { clock: deps.clock } : {},
  );

  let lastEventAtMs: number | null = null;
  let gapFromMs: number | null = null;

  function reportGap(toMs: number): void {
    if (gapFromMs === null) return;
    const gap: StreamGap = { fromMs: gapFromMs, toMs };
    gapFromMs = null;
    logger.warn({ gap }, 'trade-updates gap after reconnect; order updates in it are not replayed');
    try {
      deps.onGap?.(gap);
    } catch (err) {
      logger.error({ err }, 'onGap handler threw');
    }
  }

  function createSession(link: SessionLink) {
    let phase: 'auth' | 'listen' | 'live' = 'auth';
    let readyAtMs: number | null = null;
    const send = (msg: Record<string, unknown>): void => link.send(JSON.stringify(msg));
    return {
      onOpen() {
        send({ action: 'auth', key: config.credentials.keyId, secret: config.credentials.secretKey });
      },
      onFrame(data: Buffer, isBinary: boolean, receivedAtMs: number) {
        if (isBinary && data.byteLength === 1 && data[0] === HEARTBEAT_BYTE) {
          deps.onHeartbeat?.();
          return;
        }
        const frame = decodeFrame(data, isBinary, 'json');
        if (!frame.ok) {
          reportIssue({
            stream: 'trade_updates',
            kind: 'malformed_frame',
            type: null,
            reason: frame.reason,
            atMs: receivedAtMs,
          });
          return;
        }
        const batch: AlpacaEvent[] = [];
        for (const raw of frame.messages) {
          const m = decodeTradeStreamMessage(raw, receivedAtMs);
          switch (m.kind) {
            case 'authorization':
              if (!m.authorized) {
                logger.warn(
                  { action: m.action, masked_key_id: maskKeyId(config.credentials.keyId) },
                  'trade stream unauthorized',
                );
                link.fail(LOCAL_FAILURES.tradeUpdatesUnauthorized);
                return;
              }
              if (phase === 'auth') {
                phase = 'listen';
                send({ action: 'listen', data: { streams: ['trade_updates'] } });
              }
              break;
            case 'listening':
              if (m.streams.includes('trade_updates')) {
                if (phase !== 'live') {
                  phase = 'live';
                  readyAtMs = clock.now();
                  link.ready();
                  reportGap(readyAtMs);
                }
              } else if (phase === 'live' || phase === 'listen') {
                link.fail(LOCAL_FAILURES.protocol);
                return;
              }
              break;
            case 'error': {
              // Alpaca closes the socket right after this frame: fail the connection with the
              // class its text names, so /readyz and the reconnect say why (not "closed 1000").
              const cls = classifyTradeStreamError(m.message);
              logger.warn(
                {
                  error_class: cls.errorClass,
                  reason: cls.reason,
                  error_message: loggableAlpacaText(m.message, config.credentials),
                  masked_key_id: maskKeyId(config.credentials.keyId),
                },
                'trade stream error',
              );
              link.fail(cls);
              return;
            }
            case 'event':
              if (m.symbolMissing) {
                reportIssue({
                  stream: 'trade_updates',
                  kind: 'malformed_message',
                  type: 'trade_updates',
                  reason: 'missing_order_symbol_forwarded_as_unknown',
                  atMs: receivedAtMs,
                });
              }
              batch.push(m.event);
              break;
            case 'unknown':
              reportIssue({
                stream: 'trade_updates',
                kind: 'unknown_type',
                type: m.type,
                reason: 'unknown_stream',
                atMs: receivedAtMs,
              });
              break;
            case 'malformed':
              reportIssue({
                stream: 'trade_updates',
                kind: 'malformed_message',
                type: m.type,
                reason: m.reason,
                atMs: receivedAtMs,
              });
              break;
          }
        }
        if (batch.length > 0) {
          lastEventAtMs = receivedAtMs;
          try {
            deps.onEvents(batch);
          } catch (err) {
            logger.error({ err, events: batch.length }, 'onEvents handler threw');
          }
        }
      },
      onDiscardedFrame(receivedAtMs: number) {
        reportIssue({
          stream: 'trade_updates',
          kind: 'not_forwarded',
          type: null,
          reason: 'shutdown',
          atMs: receivedAtMs,
        });
      },
      onEnd() {
        // Updates after the last one received (or after going live, if later) until the next
        // listen are missed.
        if (readyAtMs !== null && gapFromMs === null)
          gapFromMs = Math.max(lastEventAtMs ?? readyAtMs, readyAtMs);
      },
    };
  }

  const supervisor = createSupervisor({
    stream: 'trade_updates',
    url,
    headers: {},
    socketFactory: withMaxPayload(deps.socketFactory ?? wsSocketFactory, MAX_TRADE_UPDATES_FRAME_BYTES),
    clock,
    random: deps.random ?? Math.random,
    backoff: { ...DEFAULT_BACKOFF, ...config.reconnect },
    timing: { ...DEFAULT_TIMING, ...config.timing },
    logger,
    onState: deps.onState,
    createSession,
  });

  return {
    start() {
      logger.info(
        { url, masked_key_id: maskKeyId(config.credentials.keyId) },
        'starting trade-updates stream',
      );
      supervisor.start();
    },
    stop: () => supervisor.stop(),
    state: () => supervisor.lastState(),
  };
}
