/**
 * A candidate record serialiser, measured in bench/hotpath/steps.ts and not used by the
 * forwarder: the bytes of `JSON.stringify(envelope)` written as a template in the schema's
 * field order (strings and the payload through JSON.stringify, fixed fields as literals).
 * It measured slower than one JSON.stringify of the whole envelope (bench/README.md).
 */
import type { Envelope } from '../../forwarder/generated/envelope.ts';

const json = JSON.stringify;

function windowJson(w: Envelope['window']): string {
  if (w === null) return 'null';
  return `{"size":${json(w.size)},"start":${json(w.start)},"end":${json(w.end)}}`;
}

export function serialiseEnvelope(e: Envelope): string {
  if (!Number.isSafeInteger(e.seq) || e.schema_version !== 1) return json(e);
  return (
    `{"schema_version":1,"ingest_ts":${json(e.ingest_ts)},"event_ts":${e.event_ts === null ? 'null' : json(e.event_ts)}` +
    `,"feed":${json(e.feed)},"channel":${json(e.channel)},"symbol":${json(e.symbol)},"seq":${e.seq}` +
    `,"payload":${json(e.payload)},"is_final":${e.is_final ? 'true' : 'false'},"source":${json(e.source)}` +
    `,"window":${windowJson(e.window)},"dedup_key":${json(e.dedup_key)}}`
  );
}
