/**
 * Fuzz benchmark (issue 15): the fuzz run of test/integration/forwarder/fuzz.test.ts (real CLI,
 * simulator, a private Kafka broker) with the forwarder child's peak RSS (VmHWM, sampled from
 * /proc) and event-loop delay (prom-client's lag histogram from /metrics after the run) printed.
 *   node bench/fuzz/main.ts [--market 50000] [--trading 10000] [--seed 15]
 * Figures: bench/README.md ("Fuzz").
 */
import { parseArgs } from 'node:util';
import { type KafkaBroker, prepareKafka, startPrivateKafka } from '../../test/infra/kafka/index.ts';
import { peakRss, runFuzz } from '../../test/integration/forwarder/fuzz-run.ts';
import { freshTopics, KEY_ID, SECRET } from '../../test/integration/forwarder/harness.ts';
import { type AlpacaSim, startAlpacaSim } from '../../test/sim/alpaca/index.ts';

const { values } = parseArgs({
  options: {
    market: { type: 'string', default: '50000' },
    trading: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '15' },
  },
});
const stops: (() => Promise<unknown>)[] = [];
let broker: KafkaBroker | null = null;
let sim: AlpacaSim | null = null;
try {
  await prepareKafka();
  broker = await startPrivateKafka();
  sim = await startAlpacaSim({ accounts: { [KEY_ID]: { secret: SECRET } }, lingerMs: 0, logFrames: false });
  const topics = await freshTopics(broker.info);
  let pid = 0;
  let peak = 0;
  const sampler = setInterval(() => {
    if (pid === 0) return;
    void peakRss(pid).then((v) => {
      if (v !== null) peak = Math.max(peak, v);
    });
  }, 100);
  const r = await runFuzz(
    sim,
    broker.info,
    topics,
    {
      seed: Number(values.seed),
      marketFrames: Number(values.market),
      tradingFrames: Number(values.trading),
      validEvery: 10,
      restRounds: 12,
      onPid: (p) => {
        pid = p;
      },
    },
    (stop) => stops.push(stop),
  );
  clearInterval(sampler);
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const hostile = Object.values(r.hostile).reduce((a, b) => a + b, 0);
  const lost = r.validTrades.length - new Set(r.tradesInKafka).size;
  const dup = r.tradesInKafka.length - new Set(r.tradesInKafka).size;
  console.log(
    `fuzz run (seed ${values.seed}): ${hostile} hostile frames, ${r.restHostile} hostile REST pages, ${r.elapsedMs} ms`,
  );
  console.log(
    `  valid trades ${r.validTrades.length}: lost ${lost}, duplicated ${dup}; trade updates ${r.validUpdates.length}/${r.updatesInKafka.length}; REST bars ${r.validRestBars.length}/${r.restBarsInKafka.length}`,
  );
  console.log(`  peak RSS (VmHWM): ${mib(peak)}`);
  console.log(`  heap used after GC: before ${mib(r.heapBefore)}, after ${mib(r.heapAfter)}`);
  console.log(
    `  event-loop delay: max ${(r.eventLoopLagMaxSeconds * 1000).toFixed(1)} ms, p99 ${(r.eventLoopLagP99Seconds * 1000).toFixed(1)} ms`,
  );
  console.log(
    `  /healthz probes: ${r.probes.ok}/${r.probes.sent} answered 200; metric series ${r.seriesBefore} -> ${r.seriesAfter}; log lines ${r.logLines}`,
  );
} finally {
  for (const s of stops.reverse()) await s().catch(() => {});
  await sim?.close();
  await broker?.stop();
}
