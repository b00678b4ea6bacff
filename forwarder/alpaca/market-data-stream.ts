/**
 * The market-data stream: `{streamUrl}/v2/{feed}`, welcome → auth → subscribe, events in read
 * order, subscription diffs on the live socket, gap reports. Connection lifetime, keepalive and
 * backoff are the supervisor's job; gap tracking and decode-issue reporting stream-session.ts's;
 * whether data is missing is the freshness monitor's (forwarder/app/freshness.ts), which asks for
 * a reconnect through `reconnect()`.
 */
import { encode } from '@msgpack/msgpack';
import { exponentialDelayMs } from '../../lib/time/backoff.ts';
import { systemClock, type TimerHandle } from '../../lib/time/clock.ts';
import type { SessionLink } from './connection-supervisor.ts';
import { classifyAlpacaError, LOCAL_FAILURES } from './error-classification.ts';
import { MAX_MARKET_DATA_FRAME_BYTES } from './frame-bounds.ts';
import { decodeFrame, type WireEncoding } from './frame-decode.ts';
import { decodeMessage } from './message-decode.ts';
import { maskKeyId } from './secrets.ts';
import {
  callHandler,
  createStreamSession,
  type SessionContext,
  type StreamConnectionConfig,
  type StreamSession,
  type StreamSessionDeps,
} from './stream-session.ts';
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
import type { AlpacaEvent, SubscriptionSet } from './types.ts';

export interface MarketDataStreamConfig extends StreamConnectionConfig {
  /** e.g. wss://stream.data.alpaca.markets (no path). */
  streamUrl: string;
  feed: string;
  subscriptions: SubscriptionSet;
  /** Default msgpack (what the official SDKs use). */
  encoding?: WireEncoding;
  /** Offer permessage-deflate (compressed frames: fewer bytes, more CPU). Default false. */
  perMessageDeflate?: boolean;
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

/** onGap: a WebSocket gap to fill over REST (from the last data before a drop to the resubscribe). */
export interface MarketDataStreamDeps extends StreamSessionDeps {
  /** The set the server confirmed after each subscription change. */
  onSubscriptionConfirmed?(set: SubscriptionSet): void;
  /** Each comparison of a round's acks with the wanted set (complete or not). */
  onSubscriptionCheck?(check: SubscriptionCheck): void;
  /** A resubscribe of `symbols` missing symbol entries was sent. */
  onResubscribe?(symbols: SubscriptionSet): void;
}

export interface MarketDataStream extends StreamSession {
  /** Sends subscribe/unsubscribe diffs on the live socket; remembered for every resubscribe. */
  updateSubscriptions(next: SubscriptionSet): void;
  /** What the forwarder wants and what the server last confirmed (null before the first ack). */
  subscriptions(): { desired: SubscriptionSet; confirmed: SubscriptionSet | null };
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

  let desired = normaliseSubscriptions(config.subscriptions);
  let confirmed: SubscriptionSet | null = null;
  /** Channels the server's acks list (the test stream's acks have only trades, quotes, bars). */
  const ackedChannels = new Set<SubscriptionChannel>();
  /** The live session, while one is authenticated. */
  let live: LiveSession | null = null;

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

  function createProtocol(ctx: SessionContext) {
    const { link, issue, noteData, deliver } = ctx;
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
      ctx.live();
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
      // Attempts already made, so the next one is number attempts + 1: base, then doubling.
      const delay = exponentialDelayMs(
        session.resubscribeAttempts + 1,
        resubscribe.baseMs,
        resubscribe.maxMs,
      );
      session.resubscribeTimer?.cancel();
      session.resubscribeTimer = clock.setTimeout(() => {
        session.resubscribeTimer = null;
        if (live !== session || session.pending > 0) return;
        // Only what is still wanted and missing (the wanted set may have changed meanwhile).
        const still = missingFromAck(session.sent, confirmed ?? EMPTY_SUBSCRIPTIONS, ackedChannels);
        if (countEntries(still) === 0) return;
        session.resubscribeAttempts += 1;
        callHandler(logger, 'onResubscribe', () => deps.onResubscribe?.(still));
        sendRound(session, subscriptionMessages('subscribe', still, maxPerMessage));
      }, delay);
    }

    function report(r: Omit<SubscriptionCheck, 'resubscribeAttempts' | 'atMs'>): void {
      const check = { ...r, resubscribeAttempts: session.resubscribeAttempts, atMs: clock.now() };
      callHandler(logger, 'onSubscriptionCheck', () => deps.onSubscriptionCheck?.(check));
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
      const ack = confirmed;
      callHandler(logger, 'onSubscriptionConfirmed', () => deps.onSubscriptionConfirmed?.(ack));
      if (session.phase === 'subscribe') becomeLive();
      if (session.phase === 'live') answered();
    }

    return {
      onOpen() {},
      onFrame(data: Buffer, isBinary: boolean, receivedAtMs: number) {
        const frame = decodeFrame(data, isBinary, encoding);
        if (!frame.ok) {
          issue('malformed_frame', null, frame.reason, receivedAtMs);
          return;
        }
        let batch: AlpacaEvent[] = [];
        const flush = (): void => {
          if (batch.length === 0) return;
          const out = batch;
          batch = [];
          deliver(out, receivedAtMs);
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
              issue('malformed_message', m.type, m.reason, receivedAtMs);
              break;
            case 'unknown':
              issue('unknown_type', m.type, 'unknown_type', receivedAtMs);
              break;
            case 'not_forwarded':
              noteData(receivedAtMs);
              issue('not_forwarded', m.type, m.reason, receivedAtMs);
              break;
          }
        }
        flush();
      },
      onEnd() {
        session.resubscribeTimer?.cancel();
        session.resubscribeTimer = null;
        if (live === session) live = null;
      },
    };
  }

  const perMessageDeflate = config.perMessageDeflate ?? false;
  const stream = createStreamSession(
    {
      stream: 'market_data',
      url,
      headers: { 'Content-Type': encoding === 'msgpack' ? 'application/msgpack' : 'application/json' },
      maxPayloadBytes: MAX_MARKET_DATA_FRAME_BYTES,
      socketOptions: { perMessageDeflate },
      credentials: config.credentials,
      reconnect: config.reconnect,
      timing: config.timing,
      ...(config.readQueue ? { readQueue: config.readQueue } : {}),
      startLog: {
        msg: 'starting market-data stream',
        fields: { encoding, per_message_deflate: perMessageDeflate },
      },
      // Data was flowing on the connection that ended: everything after the last message (or
      // after the resubscribe, if nothing came) until the next resubscribe is a gap.
      gapLog: { level: 'info', msg: 'stream gap after reconnect' },
    },
    { ...deps, logger },
    createProtocol,
  );

  return {
    start: stream.start,
    stop: stream.stop,
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
    state: stream.state,
    readBacklog: stream.readBacklog,
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
