/**
 * The trade-updates stream: `{tradeStreamUrl}/stream`, auth `{"action":"auth","key","secret"}`
 * (no welcome), listen `trade_updates`, forward every update. Frames are JSON in text (live) or
 * binary (paper) frames; a binary frame of the single byte 0x01 is a heartbeat (counted, nothing
 * else); `{"action":"error",...}` comes just before Alpaca closes and fails the connection with
 * the class its text names. Runs on stream-session.ts like the market-data stream (supervisor:
 * backoff, keepalive, states; gaps; decode issues); no stale detector (order updates are
 * legitimately rare). Alpaca does not replay order updates after a reconnect: the time without a
 * connection is handed on as a gap (deps.onGap); the app reconciles its fills from
 * /v2/account/activities and reports it (app/fill-reconciler.ts).
 */
import { classifyTradeStreamError, LOCAL_FAILURES } from './error-classification.ts';
import { MAX_TRADE_UPDATES_FRAME_BYTES } from './frame-bounds.ts';
import { decodeFrame } from './frame-decode.ts';
import { loggableAlpacaText, maskKeyId } from './secrets.ts';
import {
  createStreamSession,
  type StreamConnectionConfig,
  type StreamSession,
  type StreamSessionConfig,
  type StreamSessionDeps,
} from './stream-session.ts';
import { decodeTradeStreamMessage } from './trade-update-decode.ts';
import type { AlpacaEvent } from './types.ts';

export interface TradeUpdatesStreamConfig extends StreamConnectionConfig {
  /** e.g. wss://paper-api.alpaca.markets; `/stream` is appended unless already there. */
  tradeStreamUrl: string;
}

/** onGap: from the last update (or going live) to listening again; its updates are not replayed. */
export interface TradeUpdatesStreamDeps extends StreamSessionDeps {
  /** Alpaca's 1-byte binary heartbeat frame (0x01) arrived; it carries nothing to forward. */
  onHeartbeat?(): void;
}

/** start(), stop() (final) and the connection's last state. */
export type TradeUpdatesStream = StreamSession;

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
  const url = tradeUpdatesUrl(config.tradeStreamUrl);
  const logger = deps.logger.child({ component: 'alpaca-trade-updates' });

  const sessionConfig: StreamSessionConfig = {
    stream: 'trade_updates',
    url,
    headers: {},
    maxPayloadBytes: MAX_TRADE_UPDATES_FRAME_BYTES,
    credentials: config.credentials,
    reconnect: config.reconnect,
    timing: config.timing,
    ...(config.readQueue ? { readQueue: config.readQueue } : {}),
    startLog: { msg: 'starting trade-updates stream' },
    gapLog: {
      level: 'warn',
      msg: 'trade-updates gap after reconnect; order updates in it are not replayed',
    },
  };

  return createStreamSession(sessionConfig, { ...deps, logger }, ({ link, issue, deliver, live }) => {
    let phase: 'auth' | 'listen' | 'live' = 'auth';
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
          issue('malformed_frame', null, frame.reason, receivedAtMs);
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
                  live();
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
              if (m.symbolMissing)
                issue(
                  'malformed_message',
                  'trade_updates',
                  'missing_order_symbol_forwarded_as_unknown',
                  receivedAtMs,
                );
              batch.push(m.event);
              break;
            case 'unknown':
              issue('unknown_type', m.type, 'unknown_stream', receivedAtMs);
              break;
            case 'malformed':
              issue('malformed_message', m.type, m.reason, receivedAtMs);
              break;
          }
        }
        deliver(batch, receivedAtMs);
      },
    };
  });
}
