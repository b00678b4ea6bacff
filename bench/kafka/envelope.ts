/** Envelope-v1-sized records (design §3.3): a JSON trade envelope of about 450 bytes, key = symbol. */
import type { ProducedRecord } from '../../forwarder/kafka/sink.ts';

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'META', 'GOOGL', 'SPY', 'QQQ', 'AMD', 'NFLX', 'IWM'];

export function envelope(topic: string, i: number): ProducedRecord {
  const symbol = SYMBOLS[i % SYMBOLS.length] as string;
  const t = new Date(Date.UTC(2026, 10, 20, 14, 30, 0) + i).toISOString().replace('Z', '123Z');
  const payload = {
    T: 't',
    S: symbol,
    i: 52983525029461 + i,
    x: 'V',
    p: 187.43 + (i % 100) / 100,
    s: 100 + (i % 7),
    c: ['@', 'I'],
    t,
    z: 'C',
  };
  const value = JSON.stringify({
    schema_version: 1,
    ingest_ts: t,
    event_ts: t,
    feed: 'sip',
    channel: 'trades',
    symbol,
    seq: 1_763_650_000_000_000 + i,
    source: 'ws',
    is_final: true,
    dedup_key: `trades|${symbol}|V|${payload.i}`,
    payload,
  });
  return { topic, key: symbol, value, headers: { 'schema-version': '1' } };
}
