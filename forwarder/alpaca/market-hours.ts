/**
 * When the market-data stream should be delivering data (pure). Regular US equity session
 * Mon–Fri 09:30–16:00 America/New_York; holidays and early closes are not modelled, so this is
 * only used to decide whether a silent socket is suspicious, with a generous stale window.
 */
import type { SubscriptionSet } from './types.ts';

const NY_PARTS = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

export function isUsRegularSession(nowMs: number): boolean {
  const parts = NY_PARTS.formatToParts(new Date(nowMs));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = get('weekday');
  if (weekday === 'Sat' || weekday === 'Sun') return false;
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  return minutes >= 9 * 60 + 30 && minutes < 16 * 60;
}

/**
 * Data is expected on /v2/test when quotes or bars are subscribed (FAKEPACA is always on and
 * sends a quote about every 5 s and a bar each minute), and on real feeds during the regular
 * session when trades, quotes or bars are subscribed.
 */
export function isDataExpected(feed: string, subscriptions: SubscriptionSet, nowMs: number): boolean {
  if (feed === 'test') return subscriptions.quotes.length + subscriptions.bars.length > 0;
  const streaming = subscriptions.trades.length + subscriptions.quotes.length + subscriptions.bars.length > 0;
  return streaming && isUsRegularSession(nowMs);
}
