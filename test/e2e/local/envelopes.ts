/**
 * Envelope checks for records read back from Kafka: valid against the project's envelope JSON
 * Schema (the validator the forwarder tests use), key = symbol, seq strictly increasing per
 * (channel, symbol) in partition order.
 */
import type { ReadRecord } from '../../infra/kafka/index.ts';
import { envelopeErrors } from '../../support/envelope-schema.ts';

export const MARKET_TOPICS = ['torghut.trades.v1', 'torghut.quotes.v1', 'torghut.bars.1m.v1'];

export interface Envelope {
  channel: string;
  symbol: string;
  seq: number;
  feed: string;
  event_ts: string;
  ingest_ts: string;
  source: string;
  payload: Record<string, unknown>;
}

export interface Parsed {
  record: ReadRecord;
  envelope: Envelope;
}

export function parseEnvelope(record: ReadRecord): Parsed {
  return { record, envelope: JSON.parse(record.value ?? 'null') as Envelope };
}

/** Market-data envelopes (trades, quotes, bars topics) for `symbol`, in read order. */
export function marketEnvelopes(records: readonly ReadRecord[], symbol: string): Parsed[] {
  return records
    .filter((r) => r.key === symbol && MARKET_TOPICS.includes(r.topic))
    .map(parseEnvelope)
    .filter((p) => p.envelope.symbol === symbol);
}

/**
 * Every problem with the market-data records of `symbols`: schema errors, key ≠ symbol, seq not
 * strictly increasing per (channel, symbol) within the partition the records came from.
 */
export function envelopeProblems(records: readonly ReadRecord[], symbols: readonly string[]): string[] {
  const problems: string[] = [];
  const lastSeq = new Map<string, number>();
  for (const record of records) {
    if (!MARKET_TOPICS.includes(record.topic)) continue;
    const { envelope } = parseEnvelope(record);
    if (!symbols.includes(envelope.symbol)) continue;
    const where = `${record.topic}/${record.partition}@${record.offset}`;
    const errors = envelopeErrors(envelope);
    if (errors.length > 0) problems.push(`${where}: invalid envelope: ${errors.join('; ')}`);
    if (record.key !== envelope.symbol)
      problems.push(`${where}: key ${record.key} is not the symbol ${envelope.symbol}`);
    const k = `${record.topic}/${record.partition}/${envelope.channel}/${envelope.symbol}`;
    const previous = lastSeq.get(k);
    if (previous !== undefined && !(envelope.seq > previous))
      problems.push(
        `${where}: seq ${envelope.seq} after ${previous} for ${envelope.channel} ${envelope.symbol}`,
      );
    lastSeq.set(k, envelope.seq);
  }
  return problems;
}
