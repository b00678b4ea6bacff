/** Config → the market-data SubscriptionSet the stream should hold. Pure. */
import type { SubscriptionSet } from '../alpaca/types.ts';
import type { ForwarderConfig } from './types.ts';

export function subscriptionsFor(config: Pick<ForwarderConfig, 'symbols' | 'channels'>): SubscriptionSet {
  const on = (enabled: boolean): readonly string[] => (enabled ? [...config.symbols] : []);
  return {
    trades: on(config.channels.trades),
    quotes: on(config.channels.quotes),
    bars: on(config.channels.bars),
    updatedBars: on(config.channels.updatedBars),
    statuses: on(config.channels.statuses),
  };
}

/** Names of top-level settings that differ, other than the hot-reloadable symbols/channels. */
export function restartOnlyChanges(before: ForwarderConfig, after: ForwarderConfig): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(before) as (keyof ForwarderConfig)[]) {
    if (key === 'symbols' || key === 'channels') continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changed.push(key);
  }
  return changed;
}

export function subscriptionChanged(before: ForwarderConfig, after: ForwarderConfig): boolean {
  return JSON.stringify(subscriptionsFor(before)) !== JSON.stringify(subscriptionsFor(after));
}
