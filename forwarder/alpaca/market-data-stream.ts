/**
 * The market-data stream: `{streamUrl}/v2/{feed}`, welcome → auth → subscribe, events in read
 * order, subscription diffs on the live socket, stale detection, gap reports. Connection
 * lifetime, keepalive and backoff are the supervisor's job.
 */
import { encode } from '@msgpack/msgpack';
import type { Logger } from 'pino';
import { type Clock, systemClock, type TimerHandle } from '../../lib/time/clock.ts';
import { type BackoffConfig, DEFAULT_BACKOFF } from './backoff.ts';
import {
  type ConnectionTiming,
  createSupervisor,
  DEFAULT_TIMING,
  type SessionLink,
} from './connection-supervisor.ts';
import { createIssueReporter, type DecodeIssueSink } from './decode-issues.ts';
import { classifyAlpacaError, LOCAL_FAILURES } from './error-classification.ts';
import { MAX_MARKET_DATA_FRAME_BYTES, withMaxPayload } from './frame-bounds.ts';
import { decodeFrame, type WireEncoding } from './frame-decode.ts';
import { isDataExpected } from './market-hours.ts';
import { decodeMessage } from './message-decode.ts';
import { type AlpacaCredentials, maskKeyId } from './secrets.ts';
import { type SocketFactory, wsSocketFactory } from './socket.ts';
import {
  diffSubscriptions,
  EMPTY_SUBSCRIPTIONS,
  isEmptySubscription,
  normaliseSubscriptions,
  subscriptionFromAck,
  subscriptionMessages,
} from './subscriptions.ts';
import type { AlpacaEvent, StreamGap, StreamState, SubscriptionSet } from './types.ts';

export interface MarketDataStreamConfig {
  /** e.g. wss://stream.data.alpaca.markets (no path). */
  streamUrl: string;
  feed: string;
  credentials: AlpacaCredentials;
  subscriptions: SubscriptionSet;
  /** Default msgpack (what the official SDKs use). */
  encoding?: WireEncoding;
  /** Offer permessage-deflate (compressed frames: fewer bytes, more CPU). Default false. */
  perMessageDeflate?: boolean;
  reconnect?: Partial<BackoffConfig>;
  timing?: Partial<ConnectionTiming>;
  /**
   * Reconnect when no data arrives for this long while data is expected. Default 180 s. Each
   * stale reconnect that brings no data doubles the window (up to 8×) until data flows again, so
   * a quiet feed (holiday, thin symbols) does not cycle the connection every few minutes.
   */
  staleAfterMs?: number;
  /** Split subscribe/unsubscribe messages above this many symbol entries. Default 1000. */
  maxSymbolsPerMessage?: number;
  /** Forward daily bars (`d`) on the bars channel instead of only counting them. */
  forwardDailyBars?: boolean;
}

export interface MarketDataStreamDeps {
  logger: Logger;
  /** Events of one frame, in read order. Called synchronously from the socket reader. */
  onEvents(batch: AlpacaEvent[]): void;
  onState(state: StreamState): void;
  /** A WebSocket gap to fill over REST (from the last data before a drop to the resubscribe). */
  onGap?(gap: StreamGap): void;
  onDecodeIssue?: DecodeIssueSink;
  /** The set the server confirmed after each subscription change. */
  onSubscriptionConfirmed?(set: SubscriptionSet): void;
  clock?: Clock;
  random?: () => number;
  socketFactory?: SocketFactory;
  /** Whether silence is suspicious right now; default: market hours, or anything subscribed on test. */
  isDataExpected?(nowMs: number, subscriptions: SubscriptionSet): boolean;
}

export interface MarketDataStream {
  start(): void;
  stop(): Promise<void>;
  /** Sends subscribe/unsubscribe diffs on the live socket; remembered for every resubscribe. */
  updateSubscriptions(next: SubscriptionSet): void;
  /** What the forwarder wants and what the server last confirmed (null before the first ack). */
  subscriptions(): { desired: SubscriptionSet; confirmed: SubscriptionSet | null };
  state(): StreamState | null;
}

export const DEFAULT_STALE_AFTER_MS = 180_000;

export function marketDataUrl(streamUrl: string, feed: string): string {
  return `${streamUrl.replace(/\/+$/, '')}/v2/${feed}`;
}

export function createMarketDataStream(
  config: MarketDataStreamConfig,
  deps: MarketDataStreamDeps,
): MarketDataStream {
  const clock = deps.clock ?? systemClock;
  const encoding: WireEncoding = config.encoding ?? 'msgpack';
  const maxPerMessage = config.maxSymbolsPerMessage ?? 1000;
  const baseStaleAfterMs = config.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  /** Consecutive stale reconnects without data in between. */
  let staleStreak = 0;
  const staleWindowMs = (): number => baseStaleAfterMs * 2 ** Math.min(staleStreak, 3);
  const url = marketDataUrl(config.streamUrl, config.feed);
  const logger = deps.logger.child({ component: 'alpaca-market-data', feed: config.feed });
  const reportIssue = createIssueReporter(
    logger,
    deps.onDecodeIssue,
    deps.clock ? { clock: deps.clock } : {},
  );
  const dataExpected =
    deps.isDataExpected ??
    ((nowMs: number, subs: SubscriptionSet) => isDataExpected(config.feed, subs, nowMs));

  let desired = normaliseSubscriptions(config.subscriptions);
  let confirmed: SubscriptionSet | null = null;
  /** The live session, while one is authenticated. */
  let live: LiveSession | null = null;
  let lastDataAtMs: number | null = null;
  let gapFromMs: number | null = null;

  type Phase = 'welcome' | 'auth' | 'subscribe' | 'live';
  interface LiveSession {
    link: SessionLink;
    phase: Phase;
    sent: SubscriptionSet;
  }

  function encodeMessage(msg: Record<string, unknown>): string | Uint8Array {
    return encoding === 'msgpack' ? encode(msg) : JSON.stringify(msg);
  }

  function createSession(link: SessionLink) {
    let readyAtMs: number | null = null;
    let staleTimer: TimerHandle | null = null;
    /** Silence is measured from here: last data, going live, or the last check that expected none. */
    let silenceFromMs = 0;
    const session: LiveSession = { link, phase: 'welcome', sent: EMPTY_SUBSCRIPTIONS };

    const send = (msg: Record<string, unknown>): void => link.send(encodeMessage(msg));

    function becomeLive(): void {
      session.phase = 'live';
      readyAtMs = clock.now();
      silenceFromMs = readyAtMs;
      link.ready();
      if (gapFromMs !== null) {
        const gap: StreamGap = { fromMs: gapFromMs, toMs: readyAtMs };
        gapFromMs = null;
        logger.info({ gap }, 'stream gap after reconnect');
        try {
          deps.onGap?.(gap);
        } catch (err) {
          logger.error({ err }, 'onGap handler threw');
        }
      }
      armStale(staleWindowMs());
    }

    function armStale(ms: number): void {
      staleTimer?.cancel();
      staleTimer = clock.setTimeout(checkStale, ms);
    }

    function checkStale(): void {
      const now = clock.now();
      const silentFor = now - silenceFromMs;
      const windowMs = staleWindowMs();
      if (silentFor >= windowMs) {
        if (dataExpected(now, confirmed ?? desired)) {
          logger.warn(
            { silentForMs: silentFor, staleStreak },
            'no data while data is expected; reconnecting',
          );
          staleStreak += 1;
          link.fail(LOCAL_FAILURES.stale);
          return;
        }
        // Silence while none is expected (market closed) does not count once data is expected.
        silenceFromMs = now;
        armStale(windowMs);
        return;
      }
      armStale(windowMs - silentFor);
    }

    function noteData(receivedAtMs: number): void {
      lastDataAtMs = receivedAtMs;
      silenceFromMs = receivedAtMs;
      if (staleStreak > 0) {
        // Data flows again: back to the configured window, counted from now.
        staleStreak = 0;
        if (staleTimer !== null) armStale(staleWindowMs());
      }
    }

    function subscribeFull(): void {
      session.sent = desired;
      const msgs = subscriptionMessages('subscribe', desired, maxPerMessage);
      if (msgs.length === 0) {
        becomeLive();
        return;
      }
      // Live at the first ack: data for the first part may already be flowing.
      session.phase = 'subscribe';
      for (const m of msgs) send(m);
    }

    function onControl(control: ReturnType<typeof decodeMessage> & { kind: 'control' }): void {
      const c = control.control;
      if (c.T === 'success') {
        if (c.msg === 'connected' && session.phase === 'welcome') {
          session.phase = 'auth';
          send({ action: 'auth', key: config.credentials.keyId, secret: config.credentials.secretKey });
        } else if (c.msg === 'authenticated' && session.phase === 'auth') {
          logger.info({ maskedKeyId: maskKeyId(config.credentials.keyId) }, 'authenticated');
          link.holdsSlot?.();
          live = session;
          subscribeFull();
        } else {
          logger.debug({ msg: c.msg, phase: session.phase }, 'alpaca success message');
        }
        return;
      }
      if (c.T === 'error') {
        const cls = classifyAlpacaError(c.code);
        logger.warn({ code: c.code, reason: cls.reason, phase: session.phase }, 'alpaca error message');
        if (cls.retry === 'degrade' && (session.phase === 'subscribe' || session.phase === 'live')) {
          if (session.phase === 'subscribe') becomeLive();
          link.degrade(cls);
          return;
        }
        link.fail(cls);
        return;
      }
      confirmed = subscriptionFromAck(c.body);
      try {
        deps.onSubscriptionConfirmed?.(confirmed);
      } catch (err) {
        logger.error({ err }, 'onSubscriptionConfirmed handler threw');
      }
      if (session.phase === 'subscribe') becomeLive();
      else if (session.phase === 'live') link.recover();
    }

    return {
      onOpen() {},
      onFrame(data: Buffer, isBinary: boolean, receivedAtMs: number) {
        const frame = decodeFrame(data, isBinary, encoding);
        if (!frame.ok) {
          reportIssue({
            stream: 'market_data',
            kind: 'malformed_frame',
            type: null,
            reason: frame.reason,
            atMs: receivedAtMs,
          });
          return;
        }
        let batch: AlpacaEvent[] = [];
        const flush = (): void => {
          if (batch.length === 0) return;
          const out = batch;
          batch = [];
          noteData(receivedAtMs);
          try {
            deps.onEvents(out);
          } catch (err) {
            logger.error({ err, events: out.length }, 'onEvents handler threw');
          }
        };
        for (const raw of frame.messages) {
          const m = decodeMessage(raw, { receivedAtMs, forwardDailyBars: config.forwardDailyBars });
          switch (m.kind) {
            case 'event':
              batch.push(m.event);
              break;
            case 'control':
              flush();
              onControl(m);
              break;
            case 'malformed':
              reportIssue({
                stream: 'market_data',
                kind: 'malformed_message',
                type: m.type,
                reason: m.reason,
                atMs: receivedAtMs,
              });
              break;
            case 'unknown':
              reportIssue({
                stream: 'market_data',
                kind: 'unknown_type',
                type: m.type,
                reason: 'unknown_type',
                atMs: receivedAtMs,
              });
              break;
            case 'not_forwarded':
              noteData(receivedAtMs);
              reportIssue({
                stream: 'market_data',
                kind: 'not_forwarded',
                type: m.type,
                reason: m.reason,
                atMs: receivedAtMs,
              });
              break;
          }
        }
        flush();
      },
      onDiscardedFrame(receivedAtMs: number) {
        reportIssue({
          stream: 'market_data',
          kind: 'not_forwarded',
          type: null,
          reason: 'shutdown',
          atMs: receivedAtMs,
        });
      },
      onEnd() {
        staleTimer?.cancel();
        staleTimer = null;
        if (live === session) live = null;
        // Data was flowing on this connection: everything after the last message (or after the
        // resubscribe, if nothing came) until the next resubscribe is a gap.
        // Nothing was missed while live before the last data (or before going live, if later).
        if (readyAtMs !== null && gapFromMs === null)
          gapFromMs = Math.max(lastDataAtMs ?? readyAtMs, readyAtMs);
      },
    };
  }

  const supervisor = createSupervisor({
    stream: 'market_data',
    url,
    headers: { 'Content-Type': encoding === 'msgpack' ? 'application/msgpack' : 'application/json' },
    socketFactory: withMaxPayload(
      (socketUrl, options, events) =>
        (deps.socketFactory ?? wsSocketFactory)(
          socketUrl,
          { ...options, perMessageDeflate: config.perMessageDeflate ?? false },
          events,
        ),
      MAX_MARKET_DATA_FRAME_BYTES,
    ),
    clock,
    random: deps.random ?? Math.random,
    backoff: { ...DEFAULT_BACKOFF, ...config.reconnect },
    timing: { ...DEFAULT_TIMING, ...config.timing },
    logger,
    onState: deps.onState,
    createSession: (link) => createSession(link),
  });

  return {
    start() {
      logger.info(
        {
          url,
          encoding,
          perMessageDeflate: config.perMessageDeflate ?? false,
          maskedKeyId: maskKeyId(config.credentials.keyId),
        },
        'starting market-data stream',
      );
      supervisor.start();
    },
    stop: () => supervisor.stop(),
    updateSubscriptions(next) {
      const target = normaliseSubscriptions(next);
      desired = target;
      const session = live;
      if (session === null || (session.phase !== 'live' && session.phase !== 'subscribe')) return;
      const base = session.phase === 'live' && confirmed !== null ? confirmed : session.sent;
      const { subscribe, unsubscribe } = diffSubscriptions(base, target);
      session.sent = target;
      for (const m of subscriptionMessages('unsubscribe', unsubscribe, maxPerMessage)) {
        session.link.send(encodeMessage(m));
      }
      for (const m of subscriptionMessages('subscribe', subscribe, maxPerMessage)) {
        session.link.send(encodeMessage(m));
      }
      logger.info(
        {
          added: isEmptySubscription(subscribe) ? 0 : subscribe,
          removed: isEmptySubscription(unsubscribe) ? 0 : unsubscribe,
        },
        'subscriptions updated on the live socket',
      );
    },
    subscriptions: () => ({ desired, confirmed }),
    state: () => supervisor.lastState(),
  };
}
