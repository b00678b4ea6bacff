/**
 * The whole system on one machine: the loopback control plane (kube-apiserver, etcd,
 * kube-controller-manager), a Kafka broker, the Alpaca simulator (or Alpaca itself), the operator
 * (in-process, with a probe that finds the forwarder's loopback port) and the local pod runner
 * standing in for the kubelet, so the forwarder runs from the pod spec the operator rendered.
 * Used by the demo command (scripts/demo.ts) and by the e2e tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../../../operator/controller/config.ts';
import { HttpReadinessProbe, type ProbeTarget } from '../../../operator/controller/probe.ts';
import { type RunningOperator, startOperator } from '../../../operator/controller/runtime.ts';
import {
  APP_NAME,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGED_BY,
} from '../../../operator/desired/names.ts';
import { type AlpacaSim, startAlpacaSim } from '../../sim/alpaca/index.ts';
import type { SimOptionsInput } from '../../sim/alpaca/options.ts';
import { clientConfigOf } from '../../support/kube-client-config.ts';
import { createTopics, type KafkaBroker, startPrivateKafka } from '../kafka/index.ts';
import { type ControlPlane, startPrivateControlPlane } from '../kube/index.ts';
import { PodRunner } from '../pod-runner/runner.ts';

const execFileP = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FORWARDER_IMAGE = 'ghcr.io/torghut/alpaca-forwarder:local';
export const DEFAULT_TOPICS = [
  'torghut.trades.v1',
  'torghut.quotes.v1',
  'torghut.bars.1m.v1',
  'torghut.status.v1',
  'torghut.trade-updates.v1',
];
const FORWARDER_PODS = `${LABEL_NAME}=${APP_NAME},${LABEL_MANAGED_BY}=${MANAGED_BY}`;

export interface AlpacaEndpoints {
  streamUrl: string;
  dataUrl: string;
  tradingStreamUrl: string;
  /** Accounts the endpoints accept (the simulator's, or the one real account given). */
  accounts: Array<{ keyId: string; secretKey: string }>;
}

export interface LocalStackOptions {
  log?: (line: string) => void;
  /** Use Alpaca itself (its always-on test stream) with this account instead of the simulator. */
  realAlpaca?: { keyId: string; secretKey: string };
  sim?: SimOptionsInput;
  /** Extra operator environment (e.g. probe intervals). */
  operatorEnv?: Record<string, string>;
  onForwarderLine?: (pod: string, line: string) => void;
  /** Each line the operator logs (pino JSON), instead of stderr (e2e tests check them for secrets). */
  onOperatorLine?: (line: string) => void;
}

export interface LocalStack {
  controlPlane: ControlPlane;
  kafka: KafkaBroker;
  sim: AlpacaSim | undefined;
  alpaca: AlpacaEndpoints;
  operator: RunningOperator;
  runner: PodRunner;
  /** Runs kubectl against the local control plane; rejects with its stderr on failure. */
  kubectl(args: string[], input?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse())
      await s().catch((err: unknown) => log(`stop: ${String(err)}`));
  };
  try {
    log('starting the control plane (kube-apiserver, etcd, kube-controller-manager) and Kafka');
    const [controlPlane, kafka] = await Promise.all([
      startPrivateControlPlane({ log }),
      startPrivateKafka({ log }),
    ]);
    stoppers.push(
      () => controlPlane.stop(),
      () => kafka.stop(),
    );
    await createTopics(
      kafka.info,
      DEFAULT_TOPICS.map((topic) => ({ topic, numPartitions: 3 })),
    );

    let sim: AlpacaSim | undefined;
    let alpaca: AlpacaEndpoints;
    if (options.realAlpaca) {
      alpaca = {
        streamUrl: 'wss://stream.data.alpaca.markets',
        dataUrl: 'https://data.alpaca.markets',
        tradingStreamUrl: 'wss://paper-api.alpaca.markets/stream',
        accounts: [options.realAlpaca],
      };
    } else {
      const accounts = options.sim?.accounts ?? {
        PKDEMO1: { secret: 'SKDEMO1-not-a-real-secret' },
        PKDEMO2: { secret: 'SKDEMO2-not-a-real-secret' },
      };
      sim = await startAlpacaSim({ ...options.sim, accounts });
      const running = sim;
      stoppers.push(() => running.close());
      alpaca = {
        streamUrl: sim.urls.stream,
        dataUrl: sim.urls.rest,
        tradingStreamUrl: sim.urls.trading,
        accounts: Object.entries(accounts).map(([keyId, a]) => ({ keyId, secretKey: a.secret })),
      };
    }

    const kubeconfig = controlPlane.kubeconfigPath;
    const kubectl = async (args: string[], input?: string): Promise<string> => {
      const child = execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 16 << 20 });
      if (input !== undefined) {
        child.child.stdin?.end(input);
      }
      try {
        return (await child).stdout;
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
      }
    };

    const workDir = await mkdtemp(path.join(tmpdir(), 'local-pods-'));
    stoppers.push(() => rm(workDir, { recursive: true, force: true }));
    const runner = new PodRunner({
      kubeConfig: controlPlane.kubeConfig(),
      labelSelector: FORWARDER_PODS,
      workDir,
      commandForImage: (image) => {
        if (!image.includes('alpaca-forwarder')) throw new Error(`no local command for image ${image}`);
        return {
          command: process.execPath,
          args: [path.join(REPO_ROOT, 'forwarder/main.ts')],
          // The image's code and runtime: locally the repository and this Node installation.
          hostPaths: [REPO_ROOT, path.dirname(path.dirname(process.execPath))],
        };
      },
      ...(options.onForwarderLine ? { onContainerLine: options.onForwarderLine } : {}),
      onError: (err) => log(`pod runner: ${err instanceof Error ? err.message : String(err)}`),
    });

    await kubectl(['create', 'namespace', 'alpaca-forwarder-system']);
    const config = loadConfig({
      FORWARDER_IMAGE,
      OPERATOR_NAMESPACE: 'alpaca-forwarder-system',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      PROBE_INTERVAL_NOT_READY_SECONDS: '2',
      PROBE_INTERVAL_READY_SECONDS: '5',
      LOG_LEVEL: 'warn',
      ...options.operatorEnv,
    });
    const operator = await startOperator({
      config,
      kubeConfig: clientConfigOf(controlPlane.kubeConfig()),
      logger: pino(
        { level: config.LOG_LEVEL },
        options.onOperatorLine ? lineStream(options.onOperatorLine) : pino.destination(2),
      ),
      probe: new HttpReadinessProbe({ resolveUrl: (t) => localReadyzUrl(runner, t) }),
    });
    stoppers.push(() => operator.stop());
    // Started last so it stops first (stoppers run in reverse): the forwarders close cleanly
    // while the operator, Kafka, the simulator and the control plane are still up.
    await runner.start();
    stoppers.push(() => runner.stop());

    return { controlPlane, kafka, sim, alpaca, operator, runner, kubectl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A writable that hands each complete line to `onLine` (pino writes whole lines, this copes anyway). */
function lineStream(onLine: (line: string) => void): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) onLine(line);
      done();
    },
    final(done) {
      if (partial) onLine(partial);
      done();
    },
  });
}

/** The forwarder pod's /readyz on the loopback port the runner gave it. */
export function localReadyzUrl(runner: PodRunner, target: ProbeTarget): string | undefined {
  const pod = runner
    .pods()
    .find((p) => p.namespace === target.namespace && p.labels[LABEL_INSTANCE] === target.name);
  if (pod === undefined) return undefined;
  const port = [...pod.hostPorts.values()][0];
  return port === undefined ? undefined : `http://127.0.0.1:${port}/readyz`;
}
