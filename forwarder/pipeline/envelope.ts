/** Envelope v1 (design §3.3): one Kafka record value per Alpaca event. Pure. */
import type { AlpacaEvent } from '../alpaca/types.ts';
import type { Envelope } from '../generated/envelope.ts';
import { formatMicros, parseEventMs } from './time.ts';

export const TRADE_UPDATES_FEED = 'alpaca';

export interface EnvelopeInputs {
  feed: string;
  seq: number;
  dedupKey: string;
  ingestMicros: number;
}

function barWindow(eventTs: string | null): Envelope['window'] {
  const startMs = parseEventMs(eventTs);
  if (eventTs === null || Number.isNaN(startMs)) return null;
  return { size: '1m', start: eventTs, end: new Date(startMs + 60_000).toISOString() };
}

export function buildEnvelope(event: AlpacaEvent, inputs: EnvelopeInputs): Envelope {
  const isBar = event.channel === 'bars' || event.channel === 'updated_bars';
  return {
    schema_version: 1,
    ingest_ts: formatMicros(inputs.ingestMicros),
    event_ts: event.eventTs,
    feed: event.channel === 'trade_updates' ? TRADE_UPDATES_FEED : inputs.feed,
    channel: event.channel,
    symbol: event.symbol,
    seq: inputs.seq,
    payload: event.payload,
    is_final: event.channel !== 'updated_bars',
    source: event.source,
    window: isBar ? barWindow(event.eventTs) : null,
    dedup_key: inputs.dedupKey,
  };
}
