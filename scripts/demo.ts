/**
 * The main job on embedded defaults (README: `npm start`): the loopback control plane, a Kafka
 * broker, the Alpaca simulator (or Alpaca's own test stream when ALPACA_KEY_ID and
 * ALPACA_SECRET_KEY are set), the operator, and the forwarder pods run by the local pod runner
 * from the specs the operator rendered. Applies the CRD and config/samples/ with kubectl, then
 * shows `kubectl get af` as it changes and a live sample of envelopes read back from Kafka,
 * until Ctrl-C, which stops everything cleanly.
 *
 * DEMO_EXIT_AFTER_ENVELOPES=N exits 0 once every sample is Ready and N envelopes were read
 * (used by the e2e test of this command).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { prepareKafka } from '../test/infra/kafka/index.ts';
import { prepareControlPlane } from '../test/infra/kube/index.ts';
import { createShutdown, type Poller, startPoller } from '../test/infra/local-stack/demo-output.ts';
import { startStackPrometheus } from '../test/infra/local-stack/prometheus.ts';
import { applySamples, SAMPLE_NAMESPACE } from '../test/infra/local-stack/samples.ts';
import { DEFAULT_TOPICS, type LocalStack, startLocalStack } from '../test/infra/local-stack/stack.ts';

const exitAfter = Number(process.env.DEMO_EXIT_AFTER_ENVELOPES ?? '0');
if (!Number.isInteger(exitAfter) || exitAfter < 0) {
  console.error(
    `DEMO_EXIT_AFTER_ENVELOPES must be a whole number, got "${process.env.DEMO_EXIT_AFTER_ENVELOPES}"`,
  );
  process.exit(2);
}
const keyId = process.env.ALPACA_KEY_ID;
const secretKey = process.env.ALPACA_SECRET_KEY;
if ((keyId === undefined) !== (secretKey === undefined)) {
  console.error(
    'set both ALPACA_KEY_ID and ALPACA_SECRET_KEY to use Alpaca, or neither to use the simulator',
  );
  process.exit(2);
}
const realAlpaca = keyId !== undefined && secretKey !== undefined ? { keyId, secretKey } : undefined;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const note = (line: string): void => {
  process.stdout.write(`  · ${line}\n`);
};

let stack: LocalStack | undefined;
let stopping = false;
const printers: Poller[] = [];
const consumerStops: Array<() => Promise<void>> = [];

const shutdown = createShutdown({
  out: process.stdout,
  quiet: async () => {
    stopping = true;
    await Promise.all(printers.map((p) => p.stop()));
  },
  stoppingLine: 'stopping: forwarders (close frames, Kafka flush), operator, simulator, Kafka, control plane',
  stop: async () => {
    for (const stop of consumerStops) await stop().catch(() => undefined);
    await stack?.stop();
  },
});
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main(): Promise<void> {
  say('preparing (first run: Kafka jars and Kubernetes binaries are fetched/built and cached)');
  await prepareKafka();
  await prepareControlPlane();

  say(realAlpaca ? 'starting with Alpaca itself (test stream)' : 'starting with the Alpaca simulator');
  stack = await startLocalStack({ log: note, ...(realAlpaca ? { realAlpaca } : {}) });
  say(`control plane ${stack.controlPlane.version} at ${stack.controlPlane.server}`);
  say(`  kubectl --kubeconfig ${stack.controlPlane.kubeconfigPath} get af -A`);
  say(`Kafka ${stack.kafka.info.version}: PLAINTEXT ${stack.kafka.info.brokers('PLAINTEXT')[0]}`);
  if (stack.sim) {
    say(`Alpaca simulator: ${stack.sim.urls.stream}`);
    stack.sim.generate({
      eventsPerSecond: 20,
      symbols: ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'META', 'TSLA', 'SPY', 'QQQ'],
    });
  }

  const prometheus = await startStackPrometheus(stack);
  consumerStops.push(() => prometheus.stop());
  say(
    `Prometheus: ${prometheus.url} (alerts ${prometheus.url}/alerts; rules and dashboards: config/monitoring/)`,
  );

  const samples = await applySamples(stack, { log: note, testFeedOnly: realAlpaca !== undefined });
  say(`applied samples: ${samples.join(', ')} in namespace ${SAMPLE_NAMESPACE}`);

  let envelopes = 0;
  let allReady = false;
  const maybeExit = (): void => {
    if (exitAfter > 0 && allReady && envelopes >= exitAfter) void shutdown(0);
  };

  // kubectl get af, printed whenever it changes; stopped (and its kubectl call awaited) before
  // the shutdown says `stopping`.
  let lastTable = '';
  printers.push(
    startPoller(async () => {
      if (stack === undefined) return;
      const out = await stack.kubectl(['get', 'af', '-A']).catch((err: unknown) => {
        note(`kubectl get af failed: ${String(err)}`);
        return undefined;
      });
      if (out === undefined || stopping) return;
      if (out !== lastTable) {
        lastTable = out;
        say(`\n$ kubectl get af -A\n${out.trimEnd()}\n`);
      }
      const rows = out.trim().split('\n').slice(1);
      allReady = rows.length === samples.length && rows.every((r) => /\bTrue\b/.test(r));
      maybeExit();
    }, 1000),
  );

  // A live sample of envelopes: every envelope is counted, one per topic per 2 s is printed.
  const kafka = new Kafka({
    clientId: 'demo-reader',
    brokers: stack.kafka.info.brokers('PLAINTEXT'),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `demo-${randomUUID()}` });
  await consumer.connect();
  consumerStops.push(() => consumer.disconnect());
  await consumer.subscribe({ topics: DEFAULT_TOPICS, fromBeginning: true });
  const lastShown = new Map<string, number>();
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (stopping) return;
      envelopes += 1;
      const now = Date.now();
      if ((lastShown.get(topic) ?? 0) + 2000 <= now) {
        lastShown.set(topic, now);
        const value = message.value?.toString('utf8') ?? '';
        say(
          `[${topic}] key=${message.key?.toString() ?? ''} ${value.length > 300 ? `${value.slice(0, 300)}…` : value}`,
        );
      }
      maybeExit();
    },
  });
  say('streaming; Ctrl-C stops everything');
}

main().catch(async (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await shutdown(1);
});
