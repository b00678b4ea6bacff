/**
 * One real single-node Kafka broker in a fresh temp dir: TLS material, config, storage format with
 * SCRAM users, the JVM, readiness. The handle can stop the broker process and start it again on the
 * same ports with the same data (for outage tests), and finally stop it and remove the dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BrokerPorts,
  type BrokerUser,
  LISTENER_NAMES,
  log4j2Properties,
  SASL_MECHANISMS,
  scramArgs,
  serverProperties,
} from './config.ts';
import { KafkaInfo, type ListenerInfo } from './info.ts';
import { requireClasspath } from './jars.ts';
import { type JvmOptions, type JvmProcess, logTail, runJavaTool, spawnJvm } from './jvm.ts';
import { freePorts } from './ports.ts';
import { BrokerNotReadyError, type ReadinessProbe, waitUntilReady } from './ready.ts';
import { makeBrokerTls } from './tls.ts';
import { KAFKA_VERSION } from './version.ts';

export interface KafkaBrokerOptions {
  /** Bound on waiting for readiness after each JVM start. Default 120 s (2-core machine). */
  readyTimeoutMs?: number;
  heap?: { min: string; max: string };
  numPartitions?: number;
  /** Fixed ports instead of random free ones (no retry when one is taken). For tests of the infra itself. */
  ports?: BrokerPorts;
  log?: (msg: string) => void;
}

export interface KafkaBroker {
  readonly info: KafkaInfo;
  /** `{ TEST_KAFKA: <json> }` for child processes. */
  env(): Record<string, string>;
  isRunning(): boolean;
  /** Stops the broker JVM (SIGTERM, SIGKILL after a bound) and keeps its ports and data. */
  stopBroker(): Promise<void>;
  /** Starts the stopped broker again on the same ports with the same data and waits until ready. */
  startBroker(): Promise<void>;
  /** Stops the broker for good and removes its temp dir. */
  stop(): Promise<void>;
}

export class KafkaStartError extends Error {
  readonly logFile: string;
  constructor(message: string, logFile: string) {
    super(message);
    this.logFile = logFile;
  }
}

const PORT_ATTEMPTS = 3;

/** One readiness probe per listener, authenticating and verifying TLS like a real client. */
function readinessProbes(ports: BrokerPorts, user: BrokerUser, caPem: string): ReadinessProbe[] {
  const sasl = { mechanism: 'scram-sha-512' as const, username: user.username, password: user.password };
  return [
    { name: 'PLAINTEXT', config: { brokers: [`127.0.0.1:${ports.PLAINTEXT}`] } },
    { name: 'SASL_PLAINTEXT', config: { brokers: [`127.0.0.1:${ports.SASL_PLAINTEXT}`], sasl } },
    {
      name: 'SASL_SSL',
      config: {
        brokers: [`127.0.0.1:${ports.SASL_SSL}`],
        sasl,
        ssl: { ca: [caPem], rejectUnauthorized: true },
      },
    },
  ];
}

/** A base64url UUID that does not start with '-' (the storage tool's argument parser would read it as an option). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => undefined);
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const { classpath } = await requireClasspath();
  const dir = await mkdtemp(join(tmpdir(), 'kafka-test-'));
  const logFile = join(dir, 'kafka.log');
  const dataDir = join(dir, 'data');
  const log4jConfig = join(dir, 'log4j2.properties');
  const propsFile = join(dir, 'server.properties');
  const jvmOptions: JvmOptions = { classpath, log4jConfig, ...(options.heap ? { heap: options.heap } : {}) };
  const user: BrokerUser = { username: 'forwarder', password: randomBytes(12).toString('hex') };
  const clusterId = newClusterId();
  await writeFile(log4jConfig, log4j2Properties());
  const tls = await makeBrokerTls(dir);
  const caPem = await readFile(tls.caFile, 'utf8');

  let ports: BrokerPorts | undefined;
  let jvm: JvmProcess | undefined;
  const started = Date.now();
  const attempts = options.ports ? 1 : PORT_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts && jvm === undefined; attempt++) {
    const [a, b, c, d] = await freePorts(4);
    ports = options.ports ?? {
      PLAINTEXT: a as number,
      SASL_PLAINTEXT: b as number,
      SASL_SSL: c as number,
      CONTROLLER: d as number,
    };
    await rm(dataDir, { recursive: true, force: true });
    await writeFile(
      propsFile,
      serverProperties({
        ports,
        logDir: dataDir,
        tls,
        users: [user],
        ...(options.numPartitions ? { numPartitions: options.numPartitions } : {}),
      }),
    );
    try {
      await runJavaTool(jvmOptions, 'kafka.tools.StorageTool', [
        'format',
        '-t',
        clusterId,
        '-c',
        propsFile,
        ...scramArgs([user]),
      ]);
    } catch (err) {
      await writeFile(logFile, `${(err as Error).message}\n`, { flag: 'a' });
      throw new KafkaStartError(
        `formatting the Kafka broker storage failed; log: ${logFile}\n${(err as Error).message}`,
        logFile,
      );
    }
    const candidate = spawnJvm(jvmOptions, 'kafka.Kafka', [propsFile], logFile);
    try {
      await waitUntilReady(readinessProbes(ports, user, caPem), candidate, readyTimeoutMs);
      jvm = candidate;
    } catch (err) {
      await candidate.stop(5_000);
      const tail = await logTail(logFile);
      const portTaken = /BindException|Address already in use/.test(tail);
      if (portTaken && attempt < attempts) {
        log(`Kafka broker could not bind its ports (attempt ${attempt}); retrying with new ports`);
        continue;
      }
      await rm(dataDir, { recursive: true, force: true });
      const what = err instanceof BrokerNotReadyError ? err.message : String(err);
      throw new KafkaStartError(
        `Kafka ${KAFKA_VERSION} broker failed to start: ${portTaken ? 'a listener port was already taken; ' : ''}${what}. ` +
          `Broker log (kept): ${logFile}\n--- last lines ---\n${tail}`,
        logFile,
      );
    }
  }
  if (jvm === undefined || ports === undefined)
    throw new KafkaStartError('unreachable: no broker started', logFile);
  log(
    `Kafka ${KAFKA_VERSION} broker ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${jvm.pid}, dir ${dir})`,
  );

  const fixedPorts = ports;
  let current: JvmProcess | undefined = jvm;
  let removed = false;
  const listeners = Object.fromEntries(
    LISTENER_NAMES.map((name): [string, ListenerInfo] => [
      name,
      {
        name,
        host: '127.0.0.1',
        port: fixedPorts[name],
        broker: `127.0.0.1:${fixedPorts[name]}`,
        securityProtocol: name,
      },
    ]),
  ) as Record<(typeof LISTENER_NAMES)[number], ListenerInfo>;
  const info = (): KafkaInfo =>
    new KafkaInfo({
      version: KAFKA_VERSION,
      clusterId,
      pid: current?.pid ?? 0,
      dir,
      logFile,
      caFile: tls.caFile,
      caPem,
      saslMechanisms: [...SASL_MECHANISMS],
      user,
      listeners,
    });

  return {
    get info() {
      return info();
    },
    env: () => info().toEnv(),
    isRunning: () => current !== undefined && !current.hasExited(),
    async stopBroker() {
      if (current === undefined) return;
      await current.stop();
      current = undefined;
    },
    async startBroker() {
      if (removed)
        throw new Error(`this Kafka broker was stopped for good (dir ${dir} removed); start a new one`);
      if (current !== undefined && !current.hasExited()) return;
      await writeFile(logFile, `\n===== restart at ${new Date().toISOString()} =====\n`, { flag: 'a' });
      const next = spawnJvm(jvmOptions, 'kafka.Kafka', [propsFile], logFile);
      try {
        await waitUntilReady(readinessProbes(fixedPorts, user, caPem), next, readyTimeoutMs);
      } catch (err) {
        await next.stop(5_000);
        throw new KafkaStartError(
          `restarting the Kafka broker on the same ports failed: ${(err as Error).message}. Broker log: ${logFile}\n--- last lines ---\n${await logTail(logFile)}`,
          logFile,
        );
      }
      current = next;
    },
    async stop() {
      if (removed) return;
      if (current !== undefined) await current.stop();
      current = undefined;
      removed = true;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
