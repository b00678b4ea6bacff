/** Waits on the Alpaca simulator's log for what the e2e tests need (never by sleeping). */
import type { AlpacaSim, LogEvent } from '../../sim/alpaca/index.ts';

type FrameEvent = Extract<LogEvent, { type: 'frame' }>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Messages of a frame event that are objects. */
export function frameMessages(e: LogEvent): Record<string, unknown>[] {
  return e.type === 'frame' ? (e.messages ?? []).filter(isRecord) : [];
}

/** The subscription reply Alpaca sends after (un)subscribe: `{T: 'subscription', trades: [...]...}`. */
export function isSubscriptionReply(
  m: Record<string, unknown>,
  check: (trades: string[]) => boolean,
): boolean {
  return m.T === 'subscription' && Array.isArray(m.trades) && check(m.trades as string[]);
}

/**
 * Waits for the simulator to confirm a subscription to `symbol`'s trades on a market-data
 * connection authenticated as `keyId` (after `since`); returns the connection id and the event.
 */
export async function waitForSubscribed(
  sim: AlpacaSim,
  keyId: string,
  symbol: string,
  opts: { since?: number; timeoutMs: number },
): Promise<{ connId: number; event: FrameEvent }> {
  const event = await sim.log.waitFor<FrameEvent>(
    (e) =>
      e.type === 'frame' &&
      e.dir === 'out' &&
      sim.log.connections.get(e.connId)?.keyId === keyId &&
      sim.log.connections.get(e.connId)?.kind === 'market' &&
      frameMessages(e).some((m) => isSubscriptionReply(m, (trades) => trades.includes(symbol))),
    {
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      timeoutMs: opts.timeoutMs,
      what: `a ${symbol} trades subscription confirmed to ${keyId}`,
    },
  );
  return { connId: event.connId, event };
}

/** Auth events of `keyId` (in order), with their outcome: 'ok', 'failed' or an error code. */
export function authEvents(sim: AlpacaSim, keyId: string): Extract<LogEvent, { type: 'auth' }>[] {
  return sim.log.events.filter(
    (e): e is Extract<LogEvent, { type: 'auth' }> => e.type === 'auth' && e.keyId === keyId,
  );
}
