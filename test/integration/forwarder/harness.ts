/**
 * Runs the real forwarder (in-process through runForwarder, or the CLI as a child process)
 * against the Alpaca simulator and the shared Kafka test broker. startForwarderStack and
 * startCliStack do a test's usual set-up in one call: the simulator, fresh topics, the forwarder
 * (stopped by the file's cleanup) and, unless asked not to, a wait until it is ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ReadinessBody } from '../../../contracts/readiness.ts';
import { type RunningForwarder, type RunOptions, runForwarder } from '../../../forwarder/app/run.ts';
import { createTopics, uniqueTopic } from '../../infra/kafka/clients.ts';
import type { KafkaInfo } from '../../infra/kafka/info.ts';
import { type AlpacaSim, type SimOptionsInput, startAlpacaSim } from '../../sim/alpaca/index.ts';

export const KEY_ID = 'PKFWDTEST000001';
export const SECRET = 'sk-forwarder-secret-value-0001';

export type Cleanup = Array<() => Promise<unknown>>;

/**
 * The teardown steps of one test file, run in reverse order after all its tests; a failing step
 * does not keep the others from running. Call at the top level of the file.
 */
export function cleanupAfterAll(): Cleanup {
  const steps: Cleanup = [];
  after(async () => {
    for (const step of steps.reverse()) await step().catch(() => {});
  });
  return steps;
}

/** The Alpaca simulator with the harness account (KEY_ID / SECRET), closed by `cleanup`. */
export async function startSim(
  cleanup: Cleanup,
  options: Omit<SimOptionsInput, 'accounts'> = {},
): Promise<AlpacaSim> {
  const sim = await startAlpacaSim({ ...options, accounts: { [KEY_ID]: { secret: SECRET } } });
  cleanup.push(() => sim.close());
  return sim;
}

export interface Topics {
  trades: string;
  quotes: string;
  bars: string;
  status: string;
  tradeUpdates: string;
}

export async function freshTopics(kafka: KafkaInfo): Promise<Topics> {
  const t: Topics = {
    trades: uniqueTopic('fwd.trades'),
    quotes: uniqueTopic('fwd.quotes'),
    bars: uniqueTopic('fwd.bars'),
    status: uniqueTopic('fwd.status'),
    tradeUpdates: uniqueTopic('fwd.tu'),
  };
  const specs = [
    { topic: t.trades, numPartitions: 3 },
    { topic: t.quotes, numPartitions: 3 },
    t.bars,
    t.status,
    t.tradeUpdates,
  ];
  // createTopics itself waits until every partition has a serving leader (safe under concurrency).
  await createTopics(kafka, specs);
  return t;
}

export function forwarderEnv(
  sim: AlpacaSim,
  kafka: KafkaInfo,
  topics: Topics,
  extra: Record<string, string> = {},
  listener = 'PLAINTEXT',
): Record<string, string> {
  const l = kafka.listener(listener);
  const env: Record<string, string> = {
    ALPACA_KEY_ID: KEY_ID,
    ALPACA_SECRET_KEY: SECRET,
    ALPACA_FEED: 'iex',
    ALPACA_STREAM_URL: sim.urls.stream,
    ALPACA_BASE_URL: sim.urls.rest,
    SYMBOLS: 'AAPL,MSFT,TSLA',
    KAFKA_BOOTSTRAP: l.broker,
    KAFKA_SECURITY_PROTOCOL: l.securityProtocol,
    KAFKA_LINGER_MS: '5',
    TOPIC_TRADES: topics.trades,
    TOPIC_QUOTES: topics.quotes,
    TOPIC_BARS_1M: topics.bars,
    TOPIC_STATUS: topics.status,
    TOPIC_TRADE_UPDATES: topics.tradeUpdates,
    HEALTH_PORT: '0',
    METRICS_PORT: '0',
    RECONNECT_BASE_MS: '50',
    RECONNECT_MAX_MS: '500',
    ENABLE_GAP_FILL: 'false',
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '15000',
  };
  if (l.securityProtocol !== 'PLAINTEXT') {
    env.KAFKA_SASL_MECH = 'SCRAM-SHA-512';
    env.KAFKA_SASL_USER = kafka.user.username;
    env.KAFKA_SASL_PASSWORD = kafka.user.password;
  }
  if (l.securityProtocol === 'SASL_SSL') env.KAFKA_TLS_CA_FILE = kafka.caFile;
  return { ...env, ...extra };
}

export class CapturedLog extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of String(chunk).split('\n')) if (line.trim() !== '') this.lines.push(line);
    cb();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface InProcess {
  running: RunningForwarder;
  log: CapturedLog;
  exits: number[];
  base: string;
}

export async function startInProcess(
  env: Record<string, string>,
  extra: Pick<RunOptions, 'kubeConfig'> = {},
): Promise<InProcess> {
  const log = new CapturedLog();
  const exits: number[] = [];
  const running = await runForwarder({
    env,
    exit: (code) => exits.push(code),
    stderr: (text) => log.lines.push(text),
    onSignal: () => {},
    host: '127.0.0.1',
    logDestination: log,
    ...extra,
  });
  if (running === null) throw new Error(`forwarder did not start:\n${log.text()}`);
  return { running, log, exits, base: `http://127.0.0.1:${running.health.healthPort}` };
}

export async function readyz(base: string): Promise<{ status: number; body: ReadinessBody }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadinessBody };
}

/**
 * Polls /readyz until `predicate` holds. The forwarder has no push channel for readiness, so this
 * polls (every 50 ms) with a generous overall bound as the safety net.
 */
export async function waitReadiness(
  base: string,
  predicate: (b: ReadinessBody, status: number) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<ReadinessBody> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const { status, body } = await readyz(base);
      last = body;
      if (predicate(body, status)) return body;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for readiness: ${what}; last: ${JSON.stringify(last)}`);
}

export const MAIN = fileURLToPath(new URL('../../../forwarder/main.ts', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first stdout JSON line matching. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** The forwarder CLI as a child process; `nodeArgs` go before the script (e.g. --expose-gc). */
export function spawnCli(env: Record<string, string>, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += String(d);
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      stdout.push(line);
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        for (const w of [...waiters]) {
          if (w.pred(parsed)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
      } catch {}
      i = buf.indexOf('\n');
    }
  });
  proc.stderr?.on('data', (d: Buffer) => stderr.push(String(d)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    stdout,
    stderr,
    exited,
    waitForLog(pred) {
      for (const line of stdout) {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (pred(parsed)) return Promise.resolve(parsed);
        } catch {}
      }
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

/** Stops the CLI child (SIGTERM) unless it already exited, and waits for its exit. */
function stopChild(child: Child): () => Promise<void> {
  return async () => {
    if (child.proc.exitCode === null) {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  };
}

/** The forwarder CLI, stopped by `cleanup`, once its health server listens; `base` is that server. */
export async function startCli(
  cleanup: Cleanup,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ child: Child; base: string }> {
  const child = spawnCli(env, nodeArgs);
  cleanup.push(stopChild(child));
  const listening = await child.waitForLog((l) => l.msg === 'health server listening');
  return { child, base: `http://127.0.0.1:${listening.health_port}` };
}

export interface StackOptions {
  /** Simulator options (the harness account is always added). */
  sim?: Omit<SimOptionsInput, 'accounts'>;
  /** forwarderEnv overrides, or a function of the simulator (for its URLs). */
  env?: Record<string, string> | ((sim: AlpacaSim) => Record<string, string>);
  /** Wait until /readyz says ready (default true). */
  ready?: boolean;
}

interface Stack {
  sim: AlpacaSim;
  topics: Topics;
}

async function stackEnv(
  cleanup: Cleanup,
  kafka: KafkaInfo,
  options: StackOptions,
): Promise<Stack & { env: Record<string, string> }> {
  const sim = await startSim(cleanup, options.sim);
  const topics = await freshTopics(kafka);
  const extra = typeof options.env === 'function' ? options.env(sim) : (options.env ?? {});
  return { sim, topics, env: forwarderEnv(sim, kafka, topics, extra) };
}

/** The simulator, fresh topics and the forwarder in process (stopped by `cleanup`), ready. */
export async function startForwarderStack(
  cleanup: Cleanup,
  kafka: KafkaInfo,
  options: StackOptions = {},
): Promise<InProcess & Stack> {
  const { sim, topics, env } = await stackEnv(cleanup, kafka, options);
  const f = await startInProcess(env);
  cleanup.push(() => f.running.stop('test'));
  if (options.ready !== false) await waitReadiness(f.base, (b) => b.ready, 'ready');
  return { ...f, sim, topics };
}

/** The simulator, fresh topics and the forwarder CLI (stopped by `cleanup`), ready. */
export async function startCliStack(
  cleanup: Cleanup,
  kafka: KafkaInfo,
  options: StackOptions = {},
): Promise<{ child: Child; base: string } & Stack> {
  const { sim, topics, env } = await stackEnv(cleanup, kafka, options);
  const cli = await startCli(cleanup, env);
  if (options.ready !== false) await waitReadiness(cli.base, (b) => b.ready, 'ready');
  return { ...cli, sim, topics };
}
