/**
 * The market-data stream: `{streamUrl}/v2/{feed}`, welcome → auth → subscribe, events in read
 * order, subscription diffs on the live socket, gap reports. Connection lifetime, keepalive and
 * backoff are the supervisor's job; whether data is missing is the freshness monitor's
 * (forwarder/app/freshness.ts), which asks for a reconnect through `reconnect()`.
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
import { decodeMessage } from './message-decode.ts';
import { type AlpacaCredentials, maskKeyId } from './secrets.ts';
import { type SocketFactory, wsSocketFactory } from './socket.ts';
import {
  ackChannels,
  countEntries,
  diffSubscriptions,
  EMPTY_SUBSCRIPTIONS,
  isEmptySubscription,
  missingFromAck,
  normaliseSubscriptions,
  type SubscriptionChannel,
  subscriptionFromAck,
  subscriptionMessages,
  unionSubscriptions,
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
  /** Split subscribe/unsubscribe messages above this many symbol entries. Default 1000. */
  maxSymbolsPerMessage?: number;
  /** Forward daily bars (`d`) on the bars channel instead of only counting them. */
  forwardDailyBars?: boolean;
  /** Resubscribing symbols an ack left out: bounded attempts with a doubling delay. */
  resubscribe?: Partial<ResubscribeConfig>;
}

export interface ResubscribeConfig {
  /** Delay before the first resubscribe of missing symbols; doubles per attempt. */
  baseMs: number;
  maxMs: number;
  /** Attempts per missing set; after them the set stays reported until a reconnect or a subscription change. */
  maxAttempts: number;
}

export const DEFAULT_RESUBSCRIBE: ResubscribeConfig = { baseMs: 1_000, maxMs: 30_000, maxAttempts: 5 };

/**
 * The outcome of comparing the acks of one round of subscribe/unsubscribe messages (all of them
 * answered) with what the forwarder asked for.
 */
export interface SubscriptionCheck {
  /** Wanted symbols no ack of the round listed, per channel (empty lists when complete). */
  missing: SubscriptionSet;
  missingCount: number;
  /** Resubscribe attempts made for missing symbols since the last complete check. */
  resubscribeAttempts: number;
  /** False once the attempts are spent (or an error answered the round): no further resubscribe. */
  retrying: boolean;
  atMs: number;
}

/** Readiness class of a stream whose acks left wanted symbols out. */
export const SUBSCRIPTION_INCOMPLETE = {
  errorClass: 'subscription_incomplete',
  reason: 'alpaca_subscription_incomplete',
  retry: 'degrade',
} as const;

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
  /** Each comparison of a round's acks with the wanted set (complete or not). */
  onSubscriptionCheck?(check: SubscriptionCheck): void;
  /** A resubscribe of `symbols` missing symbol entries was sent. */
  onResubscribe?(symbols: SubscriptionSet): void;
  clock?: Clock;
  random?: () => number;
  socketFactory?: SocketFactory;
}

export interface MarketDataStream {
  start(): void;
  stop(): Promise<void>;
  /** Sends subscribe/unsubscribe diffs on the live socket; remembered for every resubscribe. */
  updateSubscriptions(next: SubscriptionSet): void;
  /** What the forwarder wants and what the server last confirmed (null before the first ack). */
  subscriptions(): { desired: SubscriptionSet; confirmed: SubscriptionSet | null };
  state(): StreamState | null;
  /**
   * Closes the live connection cleanly and reconnects (reason `alpaca_stream_stale`): a channel
   * that must flow is silent. No-op while not connected.
   */
  reconnect(): void;
}

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
  const resubscribe: ResubscribeConfig = { ...DEFAULT_RESUBSCRIBE, ...config.resubscribe };
  const url = marketDataUrl(config.streamUrl, config.feed);
  const logger = deps.logger.child({ component: 'alpaca-market-data', feed: config.feed });
  const reportIssue = createIssueReporter(
    logger,
    deps.onDecodeIssue,
    deps.clock ? { clock: deps.clock } : {},
  );

  let desired = normaliseSubscriptions(config.subscriptions);
  let confirmed: SubscriptionSet | null = null;
  /** Channels the server's acks list (the test stream's acks have only trades, quotes, bars). */
  const ackedChannels = new Set<SubscriptionChannel>();
  /** The live session, while one is authenticated. */
  let live: LiveSession | null = null;
  let lastDataAtMs: number | null = null;
  let gapFromMs: number | null = null;

  type Phase = 'welcome' | 'auth' | 'subscribe' | 'live';
  interface LiveSession {
    link: SessionLink;
    phase: Phase;
    sent: SubscriptionSet;
    /** Subscribe/unsubscribe messages not yet answered (by an ack or an error). */
    pending: number;
    /** Union of the acks of the current round (each ack holds the full set; split lists are covered). */
    roundAck: SubscriptionSet;
    /** Channels any ack of the round listed. */
    roundChannels: Set<SubscriptionChannel>;
    /** An error answered a message of this round (405 …): reported by its own reason. */
    roundErrored: boolean;
    resubscribeAttempts: number;
    resubscribeTimer: TimerHandle | null;
    /** The missing set last reported as degraded (no repeated degraded events for the same set). */
    reportedMissing: string;
  }

  function encodeMessage(msg: Record<string, unknown>): string | Uint8Array {
    return encoding === 'msgpack' ? encode(msg) : JSON.stringify(msg);
  }

  /** Sends one round of subscription messages; each is answered by one ack or error. */
  function sendRound(session: LiveSession, msgs: readonly Record<string, unknown>[]): void {
    if (msgs.length === 0) return;
    if (session.pending === 0) {
      session.roundAck = EMPTY_SUBSCRIPTIONS;
      session.roundChannels = new Set();
      session.roundErrored = false;
    }
    session.pending += msgs.length;
    for (const m of msgs) session.link.send(encodeMessage(m));
  }

  function createSession(link: SessionLink) {
    let readyAtMs: number | null = null;
    const session: LiveSession = {
      link,
      phase: 'welcome',
      sent: EMPTY_SUBSCRIPTIONS,
      pending: 0,
      roundAck: EMPTY_SUBSCRIPTIONS,
      roundChannels: new Set(),
      roundErrored: false,
      resubscribeAttempts: 0,
      resubscribeTimer: null,
      reportedMissing: '',
    };

    const send = (msg: Record<string, unknown>): void => link.send(encodeMessage(msg));

    function becomeLive(): void {
      session.phase = 'live';
      readyAtMs = clock.now();
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
    }

    function noteData(receivedAtMs: number): void {
      lastDataAtMs = receivedAtMs;
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
      sendRound(session, msgs);
    }

    /** Every wanted symbol acked: back to healthy (after a degrade) and the resubscribes stop. */
    function checkRound(): void {
      const missing = missingFromAck(session.sent, session.roundAck, session.roundChannels);
      const errored = session.roundErrored;
      session.roundAck = EMPTY_SUBSCRIPTIONS;
      session.roundChannels = new Set();
      session.roundErrored = false;
      const missingCount = countEntries(missing);
      if (missingCount === 0) {
        // Reported with the attempts it took, then the budget starts afresh.
        report({ missing, missingCount, retrying: false });
        session.resubscribeAttempts = 0;
        session.resubscribeTimer?.cancel();
        session.resubscribeTimer = null;
        session.reportedMissing = '';
        link.recover();
        return;
      }
      const retrying = !errored && session.resubscribeAttempts < resubscribe.maxAttempts;
      report({ missing, missingCount, retrying });
      // A round answered by an error (405 symbol limit …) keeps that error's degraded reason:
      // resubscribing would meet the same error.
      if (errored) return;
      const key = JSON.stringify(missing);
      if (key !== session.reportedMissing) {
        session.reportedMissing = key;
        logger.warn(
          {
            missing: boundedMissing(missing, 20),
            missing_count: missingCount,
            attempts: session.resubscribeAttempts,
          },
          'subscription ack left wanted symbols out; resubscribing them',
        );
        link.degrade(SUBSCRIPTION_INCOMPLETE);
      }
      if (!retrying) {
        logger.warn(
          { missing_count: missingCount, attempts: session.resubscribeAttempts },
          'wanted symbols still missing after the resubscribe attempts; reported until a reconnect or a subscription change',
        );
        return;
      }
      const delay = Math.min(resubscribe.maxMs, resubscribe.baseMs * 2 ** session.resubscribeAttempts);
      session.resubscribeTimer?.cancel();
      session.resubscribeTimer = clock.setTimeout(() => {
        session.resubscribeTimer = null;
        if (live !== session || session.pending > 0) return;
        // Only what is still wanted and missing (the wanted set may have changed meanwhile).
        const still = missingFromAck(session.sent, confirmed ?? EMPTY_SUBSCRIPTIONS, ackedChannels);
        if (countEntries(still) === 0) return;
        session.resubscribeAttempts += 1;
        try {
          deps.onResubscribe?.(still);
        } catch (err) {
          logger.error({ err }, 'onResubscribe handler threw');
        }
        sendRound(session, subscriptionMessages('subscribe', still, maxPerMessage));
      }, delay);
    }

    function report(r: Omit<SubscriptionCheck, 'resubscribeAttempts' | 'atMs'>): void {
      try {
        deps.onSubscriptionCheck?.({
          ...r,
          resubscribeAttempts: session.resubscribeAttempts,
          atMs: clock.now(),
        });
      } catch (err) {
        logger.error({ err }, 'onSubscriptionCheck handler threw');
      }
    }

    /** A reply (ack or error) to one of the round's messages; the last one closes the round. */
    function answered(): void {
      if (session.pending > 0) session.pending -= 1;
      if (session.pending === 0) checkRound();
    }

    function onControl(control: ReturnType<typeof decodeMessage> & { kind: 'control' }): void {
      const c = control.control;
      if (c.T === 'success') {
        if (c.msg === 'connected' && session.phase === 'welcome') {
          session.phase = 'auth';
          send({ action: 'auth', key: config.credentials.keyId, secret: config.credentials.secretKey });
        } else if (c.msg === 'authenticated' && session.phase === 'auth') {
          logger.info({ masked_key_id: maskKeyId(config.credentials.keyId) }, 'authenticated');
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
          session.roundErrored = true;
          answered();
          return;
        }
        link.fail(cls);
        return;
      }
      confirmed = subscriptionFromAck(c.body);
      session.roundAck = unionSubscriptions(session.roundAck, confirmed);
      for (const ch of ackChannels(c.body)) {
        session.roundChannels.add(ch);
        ackedChannels.add(ch);
      }
      try {
        deps.onSubscriptionConfirmed?.(confirmed);
      } catch (err) {
        logger.error({ err }, 'onSubscriptionConfirmed handler threw');
      }
      if (session.phase === 'subscribe') becomeLive();
      if (session.phase === 'live') answered();
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
        session.resubscribeTimer?.cancel();
        session.resubscribeTimer = null;
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
          per_message_deflate: config.perMessageDeflate ?? false,
          masked_key_id: maskKeyId(config.credentials.keyId),
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
      // A new wanted set: the resubscribe budget starts afresh.
      session.resubscribeAttempts = 0;
      session.reportedMissing = '';
      sendRound(session, [
        ...subscriptionMessages('unsubscribe', unsubscribe, maxPerMessage),
        ...subscriptionMessages('subscribe', subscribe, maxPerMessage),
      ]);
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
    reconnect() {
      const session = live;
      if (session === null || session.phase !== 'live') return;
      logger.warn('a channel that must flow is silent; reconnecting');
      session.link.fail(LOCAL_FAILURES.stale);
    },
  };
}

/** At most `max` symbols per channel (for logs and readiness detail). */
export function boundedMissing(
  missing: SubscriptionSet,
  max: number,
): Partial<Record<keyof SubscriptionSet, string[]>> {
  const out: Partial<Record<keyof SubscriptionSet, string[]>> = {};
  for (const [c, list] of Object.entries(missing) as [keyof SubscriptionSet, readonly string[]][]) {
    if (list.length > 0) out[c] = list.slice(0, max);
  }
  return out;
}
