/**
 * The forwarder's hot path end to end in one process, old vs new side by side (not part of npm
 * test): msgpack frame → decodeFrame → decodeMessage → pipeline (dedup at the default cap, seq,
 * envelope, JSON, real prom-client metrics) → a sink that keeps the record count and bytes (the
 * Kafka client is measured by bench/kafka). Old = the forwarder at `--ref` (git archive), new =
 * this tree. Each run feeds `--events` distinct events (unique trade ids; default 3× the dedup
 * cap, so the cache fills and evicts) and prints CPU ms per 1000 events for the first and the
 * last tenth and overall; runs are interleaved (new, old, new). The old run gets a time budget.
 *   node bench/hotpath/main.ts [--ref 4a5e016] [--events 300000] [--dedup-cap 100000] [--budget-s 90]
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CONFIG_DEFAULTS } from '../../contracts/config-file.ts';
import { buildFrames } from './frames.ts';
import { DEFAULT_OLD_REF, oldForwarderDir } from './old-tree.ts';

const { values } = parseArgs({
  options: {
    ref: { type: 'string', default: DEFAULT_OLD_REF },
    events: { type: 'string', default: '300000' },
    'dedup-cap': { type: 'string', default: '100000' },
    'budget-s': { type: 'string', default: '90' },
    /** 1: new, old, new (best of each); N > 1: N interleaved pairs, best and median of each. */
    rounds: { type: 'string', default: '1' },
  },
});
const cap = Number(values['dedup-cap']);
const budgetMs = Number(values['budget-s']) * 1000;
const { frames, events } = buildFrames({ events: Number(values.events), perFrame: 200, symbols: 500 });

interface Tree {
  decodeFrame: typeof import('../../forwarder/alpaca/frame-decode.ts').decodeFrame;
  decodeMessage: typeof import('../../forwarder/alpaca/message-decode.ts').decodeMessage;
  createPipeline: typeof import('../../forwarder/pipeline/pipeline.ts').createPipeline;
  DedupCache: typeof import('../../forwarder/pipeline/dedup.ts').DedupCache;
  SeqAllocator: typeof import('../../forwarder/pipeline/seq.ts').SeqAllocator;
  createMetrics: typeof import('../../forwarder/health/metrics.ts').createMetrics;
  systemMicros: typeof import('../../forwarder/pipeline/time.ts').systemMicros;
}
async function load(dir: string): Promise<Tree> {
  const m = async <T>(p: string): Promise<T> => (await import(`${dir}/${p}`)) as T;
  return {
    ...(await m<Pick<Tree, 'decodeFrame'>>('alpaca/frame-decode.ts')),
    ...(await m<Pick<Tree, 'decodeMessage'>>('alpaca/message-decode.ts')),
    ...(await m<Pick<Tree, 'createPipeline'>>('pipeline/pipeline.ts')),
    ...(await m<Pick<Tree, 'DedupCache'>>('pipeline/dedup.ts')),
    ...(await m<Pick<Tree, 'SeqAllocator'>>('pipeline/seq.ts')),
    ...(await m<Pick<Tree, 'createMetrics'>>('health/metrics.ts')),
    ...(await m<Pick<Tree, 'systemMicros'>>('pipeline/time.ts')),
  };
}
const trees = {
  old: await load(oldForwarderDir(values.ref)),
  new: await load(new URL('../../forwarder', import.meta.url).pathname),
};

interface Result {
  events: number;
  forwarded: number;
  firstTenth: number;
  lastTenth: number;
  overall: number;
  complete: boolean;
}
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function run(t: Tree): Result {
  let forwarded = 0;
  let bytes = 0;
  const metrics = t.createMetrics({ defaultMetrics: false });
  const pipeline = t.createPipeline({
    feed: 'sip',
    topics: CONFIG_DEFAULTS.kafka.topics,
    dedup: new t.DedupCache({ ttlMs: 300_000, maxEntries: cap }),
    seq: new t.SeqAllocator(Date.now()),
    sink: {
      send: (r) => {
        forwarded += 1;
        bytes += r.value.length;
        return true;
      },
    },
    metrics: metrics.pipeline,
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
    nowMicros: t.systemMicros,
  });
  const tenth = Math.ceil(frames.length / 10);
  const tenths: number[] = [];
  const start = Date.now();
  const cpu0 = cpuMs();
  let seen = 0;
  let complete = true;
  for (let part = 0; part < 10; part += 1) {
    const c0 = cpuMs();
    let n = 0;
    for (const f of frames.slice(part * tenth, (part + 1) * tenth)) {
      const receivedAtMs = Date.now();
      const r = t.decodeFrame(f, true, 'msgpack');
      if (!r.ok) throw new Error('bad frame');
      const batch = [];
      for (const raw of r.messages) {
        const m = t.decodeMessage(raw, { receivedAtMs });
        if (m.kind === 'event') batch.push(m.event);
      }
      pipeline.handle(batch);
      n += batch.length;
    }
    seen += n;
    tenths.push(((cpuMs() - c0) / n) * 1000);
    if (Date.now() - start > budgetMs && part < 9) {
      complete = false;
      break;
    }
  }
  if (bytes < 0) console.log('');
  return {
    events: seen,
    forwarded,
    firstTenth: tenths[0] as number,
    lastTenth: tenths[tenths.length - 1] as number,
    overall: ((cpuMs() - cpu0) / seen) * 1000,
    complete,
  };
}

console.log(
  `hot path (decode → pipeline → sink call): ${events} distinct events in ${frames.length} msgpack frames, dedup cap ${cap}, old = ${values.ref}, Node ${process.version}`,
);
console.log(
  '| variant | events fed | forwarded | CPU ms / 1000 ev, first tenth | last tenth | overall | last / first |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const results: Record<string, Result[]> = { old: [], new: [] };
const rounds = Number(values.rounds);
const order: ('new' | 'old')[] =
  rounds > 1
    ? Array.from({ length: rounds }, (_, i): ('new' | 'old')[] =>
        i % 2 === 0 ? ['new', 'old'] : ['old', 'new'],
      ).flat()
    : ['new', 'old', 'new'];
for (const v of order) results[v]?.push(run(trees[v]));
const best = (rs: Result[]): Result => rs.reduce((a, b) => (a.overall <= b.overall ? a : b));
const rows = { old: best(results.old as Result[]), new: best(results.new as Result[]) };
for (const [name, r] of Object.entries(rows))
  console.log(
    `| ${name} | ${r.events}${r.complete ? '' : ' (budget ran out)'} | ${r.forwarded} | ${r.firstTenth.toFixed(2)} | ${r.lastTenth.toFixed(2)} | ${r.overall.toFixed(2)} | ${(r.lastTenth / r.firstTenth).toFixed(2)} |`,
  );
console.log(
  `| **new / old** | | | ${(rows.new.firstTenth / rows.old.firstTenth).toFixed(2)} | ${(rows.new.lastTenth / rows.old.lastTenth).toFixed(2)} | ${(rows.new.overall / rows.old.overall).toFixed(2)} | |`,
);
if (rounds > 1) {
  const med = (rs: Result[]) => {
    const xs = rs.map((r) => r.overall).sort((x, y) => x - y);
    return xs[Math.floor((xs.length - 1) / 2)] as number;
  };
  const mo = med(results.old as Result[]);
  const mn = med(results.new as Result[]);
  const all = (rs: Result[]) => rs.map((r) => r.overall.toFixed(2)).join(', ');
  console.log(
    `median overall over ${rounds} rounds: old ${mo.toFixed(2)} (${all(results.old as Result[])}), new ${mn.toFixed(2)} (${all(results.new as Result[])}), new / old ${(mn / mo).toFixed(2)}`,
  );
}
for (const [name, r] of Object.entries(rows))
  if (r.forwarded !== r.events)
    console.log(`FAIL: ${name} forwarded ${r.forwarded} of ${r.events} distinct events`);
