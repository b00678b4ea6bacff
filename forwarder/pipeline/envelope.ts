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
  /** formatMicros(ingestMicros) when the caller has it already (the pipeline: once per batch). */
  ingestTs?: string;
}

const NEW_YORK_OFFSET = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  timeZoneName: 'longOffset',
});

/** New York's UTC offset in ms at `ms` (e.g. -4 h in summer). */
function newYorkOffsetMs(ms: number): number {
  const name = NEW_YORK_OFFSET.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000);
}

/**
 * End of a daily bar that starts at `startMs` (New York midnight in UTC): the next New York
 * midnight, so 23 or 25 hours on the days clocks change.
 */
export function nextNewYorkMidnightMs(startMs: number): number {
  const local = startMs + newYorkOffsetMs(startMs);
  const nextLocalMidnight = (Math.floor(local / 86_400_000) + 1) * 86_400_000;
  // The offset at the next midnight (noon before it is on the same side of any change).
  return nextLocalMidnight - newYorkOffsetMs(nextLocalMidnight - newYorkOffsetMs(startMs) - 12 * 3_600_000);
}

/** Minute bars (`b`, `u`, REST 1Min) cover one minute; a daily bar (`d`) one New York day. */
function barWindow(eventTs: string | null, type: unknown): Envelope['window'] {
  const startMs = parseEventMs(eventTs);
  if (eventTs === null || Number.isNaN(startMs)) return null;
  if (type === 'd')
    return { size: '1d', start: eventTs, end: new Date(nextNewYorkMidnightMs(startMs)).toISOString() };
  return { size: '1m', start: eventTs, end: new Date(startMs + 60_000).toISOString() };
}

export function buildEnvelope(event: AlpacaEvent, inputs: EnvelopeInputs): Envelope {
  const isBar = event.channel === 'bars' || event.channel === 'updated_bars';
  return {
    schema_version: 1,
    ingest_ts: inputs.ingestTs ?? formatMicros(inputs.ingestMicros),
    event_ts: event.eventTs,
    feed: event.channel === 'trade_updates' ? TRADE_UPDATES_FEED : inputs.feed,
    channel: event.channel,
    symbol: event.symbol,
    seq: inputs.seq,
    payload: event.payload,
    is_final: event.channel !== 'updated_bars',
    source: event.source,
    window: isBar ? barWindow(event.eventTs, event.payload.T) : null,
    dedup_key: inputs.dedupKey,
  };
}
