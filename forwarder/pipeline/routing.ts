/** Channel → Kafka topic (design §1). Pure. */
import type { EventChannel } from '../alpaca/types.ts';
import type { TopicNames } from '../config/types.ts';

export function topicFor(channel: EventChannel | 'status', topics: TopicNames): string {
  switch (channel) {
    case 'trades':
      return topics.trades;
    case 'quotes':
      return topics.quotes;
    case 'bars':
    case 'updated_bars':
      return topics.bars;
    case 'statuses':
    case 'status':
      return topics.status;
    case 'trade_updates':
      return topics.tradeUpdates;
  }
}
