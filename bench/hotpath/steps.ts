/**
 * Hot-path steps, old vs new, side by side in one run (not part of npm test). The old code is
 * the forwarder at `--ref` (default: the commit before the hot-path work), imported from a
 * `git archive` of that ref; the new code is this tree. Each step runs over the same realistic
 * msgpack frames (bench/hotpath/frames.ts) and prints CPU ns per event, ms per 1000 events and
 * the ratio to the old code. Optional rows for msgpackr and fast-json-stringify appear when
 * those packages resolve (`npm i --no-save msgpackr fast-json-stringify`).
 *   node bench/hotpath/steps.ts [--ref 4a5e016] [--events 100000] [--per-frame 200] [--rounds 7]
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { decodeFrame } from '../../forwarder/alpaca/frame-decode.ts';
import { decodeMessage } from '../../forwarder/alpaca/message-decode.ts';
import { msgpackTimestampToRfc3339 } from '../../forwarder/alpaca/timestamp.ts';
import type { AlpacaEvent } from '../../forwarder/alpaca/types.ts';
import type { Envelope } from '../../forwarder/generated/envelope.ts';
import { createMetrics } from '../../forwarder/health/metrics.ts';
import { dedupKey } from '../../forwarder/pipeline/dedup-key.ts';
import { buildEnvelope } from '../../forwarder/pipeline/envelope.ts';
import { ChannelTally } from '../../forwarder/pipeline/tally.ts';
import { formatMicros, parseEventMs } from '../../forwarder/pipeline/time.ts';
import { buildFrames } from './frames.ts';
import { compare, printRows, TABLE_HEAD, type Variant } from './measure.ts';
import { DEFAULT_OLD_REF, importOld } from './old-tree.ts';
import { serialiseEnvelope } from './template-serialiser.ts';

const { values } = parseArgs({
  options: {
    ref: { type: 'string', default: DEFAULT_OLD_REF },
    events: { type: 'string', default: '100000' },
    'per-frame': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '7' },
  },
});
const ref = values.ref;
const rounds = Number(values.rounds);

type FrameDecode = typeof import('../../forwarder/alpaca/frame-decode.ts');
type DedupKeys = typeof import('../../forwarder/pipeline/dedup-key.ts');
type Time = typeof import('../../forwarder/pipeline/time.ts');
type Metrics = typeof import('../../forwarder/health/metrics.ts');
const oldDecode = await importOld<FrameDecode>(ref, 'alpaca/frame-decode.ts');
const oldKeys = await importOld<DedupKeys>(ref, 'pipeline/dedup-key.ts');
const oldTime = await importOld<Time>(ref, 'pipeline/time.ts');
const oldMetrics = await importOld<Metrics>(ref, 'health/metrics.ts');

const { frames, events: total } = buildFrames({
  events: Number(values.events),
  perFrame: Number(values['per-frame']),
  symbols: 500,
});
const batches: AlpacaEvent[][] = frames.map((f) => {
  const r = decodeFrame(f, true, 'msgpack');
  if (!r.ok) throw new Error('frame did not decode');
  return r.messages.flatMap((m) => {
    const d = decodeMessage(m, { receivedAtMs: 0 });
    return d.kind === 'event' ? [d.event] : [];
  });
});
const events = batches.flat();
const T0_US = Date.UTC(2026, 0, 5, 15, 0, 0) * 1000;
const envelopes: Envelope[] = events.map((e, i) =>
  buildEnvelope(e, {
    feed: 'sip',
    seq: 1_767_000_000_000_000 + i,
    dedupKey: dedupKey(e),
    ingestMicros: T0_US + i * 3,
  }),
);

let sinkhole = 0;
const keep = (s: string): void => {
  sinkhole += s.length;
};
const overEvents =
  (fn: (e: AlpacaEvent, i: number) => void): (() => number) =>
  () => {
    for (let i = 0; i < events.length; i += 1) fn(events[i] as AlpacaEvent, i);
    return events.length;
  };

const optional = (name: string): unknown => {
  try {
    return createRequire(import.meta.url)(name);
  } catch {
    return null;
  }
};

console.log(
  `hot-path steps: ${total} events in ${frames.length} msgpack frames (≤ ${values['per-frame']} per frame), old = ${ref}, ${rounds} rounds, Node ${process.version}`,
);
console.log(TABLE_HEAD);

// 1. frame decode (msgpack → messages, timestamps as RFC 3339 strings)
const decodeVariants: Variant[] = [
  {
    label: 'old: a Decoder per frame, Date per timestamp',
    pass: () => {
      for (const f of frames) {
        const r = oldDecode.decodeFrame(f, true, 'msgpack');
        if (r.ok) sinkhole += r.messages.length;
      }
      return total;
    },
  },
  {
    label: 'new: one Decoder, timestamp from bytes',
    pass: () => {
      for (const f of frames) {
        const r = decodeFrame(f, true, 'msgpack');
        if (r.ok) sinkhole += r.messages.length;
      }
      return total;
    },
  },
];
const msgpackr = optional('msgpackr') as {
  Unpackr: new (o: object) => { unpack(b: Uint8Array): unknown };
  addExtension(e: object): void;
} | null;
if (msgpackr) {
  // msgpackr reads extension -1 into a Date (ms); its reader table slot 0xff takes our own.
  msgpackr.addExtension({ type: 0xff, unpack: (b: Uint8Array) => msgpackTimestampToRfc3339(b) });
  const unpackr = new msgpackr.Unpackr({ useRecords: false, mapsAsObjects: true });
  const same = frames.every((f) => {
    const want = decodeFrame(f, true, 'msgpack');
    return want.ok && JSON.stringify(want.messages) === JSON.stringify(unpackr.unpack(f));
  });
  decodeVariants.push({
    label: `msgpackr Unpackr (same output: ${same})`,
    pass: () => {
      for (const f of frames) sinkhole += (unpackr.unpack(f) as unknown[]).length;
      return total;
    },
  });
}
printRows('decode', compare(decodeVariants, rounds));

// 2. dedup key
printRows(
  'dedup key',
  compare(
    [
      { label: 'old: sha256 over canonical JSON', pass: overEvents((e) => keep(oldKeys.dedupKey(e))) },
      { label: 'new: field values in the key', pass: overEvents((e) => keep(dedupKey(e))) },
    ],
    rounds,
  ),
);

// 3. ingest time (one clock reading per event, ~0.3 µs apart) and event-time parsing
printRows(
  'ingest_ts',
  compare(
    [
      {
        label: 'old: Date per event',
        pass: overEvents((_, i) => keep(oldTime.formatMicros(T0_US + Math.floor(i / 3)))),
      },
      {
        label: 'new: per-ms prefix',
        pass: overEvents((_, i) => keep(formatMicros(T0_US + Math.floor(i / 3)))),
      },
    ],
    rounds,
  ),
);
printRows(
  'event time → ms',
  compare(
    [
      {
        label: 'old: regex + Date.parse',
        pass: overEvents((e) => (sinkhole += oldTime.parseEventMs(e.eventTs))),
      },
      { label: 'new: per-second cache', pass: overEvents((e) => (sinkhole += parseEventMs(e.eventTs))) },
    ],
    rounds,
  ),
);

// 4. pipeline metrics (received + forwarded + lag per event)
const oldM = oldMetrics.createMetrics({ defaultMetrics: false }).pipeline;
const newM = createMetrics({ defaultMetrics: false }).pipeline;
printRows(
  'metrics',
  compare(
    [
      {
        label: 'old: label lookup per event',
        pass: () => {
          for (const b of batches)
            for (const e of b) {
              oldM.received(e.channel);
              oldM.forwarded(e.channel);
              oldM.lagSeconds(e.channel, 0.01);
            }
          return total;
        },
      },
      {
        label: 'new: per-batch counts and lag, bound children',
        pass: () => {
          for (const b of batches) {
            const tally = new ChannelTally();
            for (const e of b) {
              tally.received(e.channel);
              tally.forwarded(e.channel);
              if (e.eventTs !== null) tally.wsEventTs(e.channel, e.eventTs);
            }
            tally.report(newM, T0_US / 1000);
          }
          return total;
        },
      },
    ],
    rounds,
  ),
);

// 5. serialisation of the envelope
const serialVariants: Variant[] = [
  {
    label: 'JSON.stringify',
    pass: () => {
      for (const e of envelopes) keep(JSON.stringify(e));
      return envelopes.length;
    },
  },
  {
    label: 'hand-ordered template (serialiseEnvelope)',
    pass: () => {
      for (const e of envelopes) keep(serialiseEnvelope(e));
      return envelopes.length;
    },
  },
];
const fjs = optional('fast-json-stringify') as ((schema: object) => (v: unknown) => string) | null;
if (fjs) {
  const schema = (await import('../../forwarder/schema/envelope.schema.json', { with: { type: 'json' } }))
    .default;
  const { $schema: _, $id: __, ...compiled } = schema as Record<string, unknown>;
  const stringify = fjs(compiled);
  const equal = envelopes.every((e) => stringify(e) === JSON.stringify(e));
  serialVariants.push({
    label: `fast-json-stringify from the schema (byte-equal: ${equal})`,
    pass: () => {
      for (const e of envelopes) keep(stringify(e));
      return envelopes.length;
    },
  });
}
printRows('serialise', compare(serialVariants, rounds));
if (sinkhole === -1) console.log('');
