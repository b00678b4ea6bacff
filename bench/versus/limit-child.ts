/**
 * The limit script (issue 10 variant c): ws + msgpack decode (the forwarder's decoder) +
 * envelope + JSON.stringify + produce through the project's Kafka sink (@platformatic/kafka,
 * acks=all, idempotence, lz4, linger 30 ms, key = symbol). Nothing else: no dedup, no metrics,
 * no validation. Env: STREAM_URL, KEY_ID, SECRET, SYMBOLS, BOOTSTRAP, TOPIC_TRADES, TOPIC_QUOTES,
 * TOPIC_BARS.
 */
import pino from 'pino';
import WebSocket from 'ws';
import { decodeFrame } from '../../forwarder/alpaca/frame-decode.ts';
import { createKafkaSink } from '../../forwarder/kafka/sink.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined || v === '') throw new Error(`limit: ${k} is not set`);
  return v;
};
const topicOf: Record<string, string> = {
  t: env('TOPIC_TRADES'),
  q: env('TOPIC_QUOTES'),
  b: env('TOPIC_BARS'),
  u: env('TOPIC_BARS'),
};
const channelOf: Record<string, string> = { t: 'trades', q: 'quotes', b: 'bars', u: 'updated_bars' };
const sink = createKafkaSink(
  {
    brokers: [env('BOOTSTRAP')],
    clientId: 'bench-limit',
    securityProtocol: 'PLAINTEXT',
    acks: -1,
    compression: 'lz4',
    lingerMs: 30,
    batchBytes: 1024 * 1024,
    maxBufferBytes: 64 * 1024 * 1024,
    topics: [...new Set(Object.values(topicOf))],
  },
  { logger: pino({ level: 'warn' }) },
);
await sink.start();
const symbols = env('SYMBOLS').split(',');
const ws = new WebSocket(env('STREAM_URL'), {
  headers: { 'Content-Type': 'application/msgpack' },
  perMessageDeflate: false,
});
let seq = 0;
ws.on('message', (data: Buffer, isBinary: boolean) => {
  const r = decodeFrame(data, isBinary, 'msgpack');
  if (!r.ok) return;
  const ingest = new Date().toISOString();
  for (const m of r.messages as Record<string, unknown>[]) {
    const T = m.T as string;
    const topic = topicOf[T];
    if (topic === undefined) {
      if (T === 'success' && m.msg === 'authenticated')
        ws.send(
          JSON.stringify({
            action: 'subscribe',
            trades: symbols,
            quotes: symbols,
            bars: symbols,
            updatedBars: symbols,
          }),
        );
      else if (T === 'error') process.stderr.write(`limit: alpaca error ${JSON.stringify(m)}\n`);
      continue;
    }
    const symbol = m.S as string;
    const value = JSON.stringify({
      schema_version: 1,
      ingest_ts: ingest,
      event_ts: m.t,
      channel: channelOf[T],
      symbol,
      seq: seq++,
      payload: m,
    });
    sink.send({ topic, key: symbol, value });
  }
});
ws.on('open', () => ws.send(JSON.stringify({ action: 'auth', key: env('KEY_ID'), secret: env('SECRET') })));
ws.on('close', (code) => process.stderr.write(`limit: socket closed ${code}\n`));
process.once('SIGTERM', () => {
  ws.close();
  void sink.close(10_000).then(() => process.exit(0));
});
