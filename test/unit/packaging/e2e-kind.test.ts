import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { parse } from 'yaml';
import { KAFKA_VERSION } from '../../infra/kafka/version.ts';
import { find, parseYamlObjects, render } from '../../support/kustomize.ts';
import { ensureTool, projectRoot, run } from '../../support/tools.ts';

const kindDir = path.join(projectRoot, 'test/e2e/kind');
const runScript = path.join(kindDir, 'run.sh');

/** `NAME=value` or `NAME="${NAME:-value}"` assignments at the top level of run.sh. */
async function scriptSetting(name: string): Promise<string> {
  const text = await readFile(runScript, 'utf8');
  const plain = new RegExp(`^${name}=([^\\s"$]+)$`, 'm').exec(text);
  const defaulted = new RegExp(`^${name}="\\$\\{[A-Z_]+:-([^}]+)\\}"$`, 'm').exec(text);
  const value = plain?.[1] ?? defaulted?.[1];
  assert.ok(value, `run.sh sets ${name}`);
  return value;
}

/** The value at a path of keys and indexes, or undefined. */
function dig(value: unknown, ...paths: (string | number)[][]): unknown {
  let at = value;
  for (const key of paths.flat()) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

describe('kind e2e (test/e2e/kind)', () => {
  test('run.sh and ensure-tools.sh parse (bash -n) and pass shellcheck', async () => {
    const shellcheck = await ensureTool('shellcheck');
    const scripts = [runScript, path.join(projectRoot, 'scripts/lib/ensure-tools.sh')];
    for (const script of scripts) {
      const syntax = await run('bash', ['-n', script]);
      assert.equal(syntax.code, 0, syntax.stderr);
    }
    const lint = await run(shellcheck, ['--shell=bash', '--severity=style', ...scripts]);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  });

  test('Dockerfile.sim passes hadolint and its .dockerignore admits exactly what it copies', async () => {
    const hadolint = await ensureTool('hadolint');
    const dockerfile = path.join(kindDir, 'Dockerfile.sim');
    const lint = await run(hadolint, ['--no-color', dockerfile]);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    const copied = (await readFile(dockerfile, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('COPY '))
      .flatMap((l) => l.slice(5).trim().split(/\s+/).slice(0, -1))
      .map((s) => s.replace(/\/$/, ''));
    const admitted = (await readFile(`${dockerfile}.dockerignore`, 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1));
    assert.deepEqual(copied.sort(), admitted.sort());
  });

  test('run.sh side-loads the image tags config/default deploys', async () => {
    const objects = await render(path.join(projectRoot, 'config/default'));
    const deployment = find(objects, 'Deployment', 'alpaca-forwarder-operator');
    const container = (
      deployment.spec as {
        template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } };
      }
    ).template.spec.containers[0];
    assert.ok(container);
    assert.equal(await scriptSetting('OPERATOR_IMAGE'), container.image);
    assert.equal(
      await scriptSetting('FORWARDER_IMAGE'),
      container.env.find((e) => e.name === 'FORWARDER_IMAGE')?.value,
    );
  });

  test('the e2e Kafka is the version the test broker runs, in run.sh and the workflow alike', async () => {
    const image = await scriptSetting('KAFKA_IMAGE');
    assert.equal(image, `apache/kafka:${KAFKA_VERSION}`);
    const workflow = parse(
      await readFile(path.join(projectRoot, '.github/workflows/e2e-kind.yml'), 'utf8'),
    ) as { jobs: Record<string, { env: Record<string, string>; steps: { run?: string }[] }> };
    const job = workflow.jobs.kind;
    assert.ok(job);
    assert.equal(job.env.KAFKA_IMAGE, image);
    assert.match(job.env.KIND_VERSION ?? '', /^v\d+\.\d+\.\d+$/);
    assert.ok(job.steps.some((s) => s.run?.trim() === 'bash test/e2e/kind/run.sh'));
  });

  test('the e2e resource points at the simulator and Kafka Services and the topics run.sh creates', async () => {
    const infra = parseYamlObjects(await readFile(path.join(kindDir, 'infra.yaml'), 'utf8'));
    const resources = parseYamlObjects(await readFile(path.join(kindDir, 'forwarder.yaml'), 'utf8'));
    const af = find(resources, 'AlpacaForwarder', 'e2e');
    const spec = af.spec as {
      feed: string;
      streamUrl: string;
      dataUrl: string;
      credentialsSecretRef: { name: string };
      kafka: { bootstrapServers: string[] };
    };
    const ns = af.metadata.namespace;
    const serviceHost = (name: string, port: number) => {
      const svc = find(infra, 'Service', name);
      assert.equal(svc.metadata.namespace, ns);
      const ports = (svc.spec as { ports: { port: number }[] }).ports.map((p) => p.port);
      assert.ok(ports.includes(port), `${name} serves ${port}`);
      return `${name}.${ns}.svc.cluster.local:${port}`;
    };
    assert.equal(spec.feed, 'test');
    assert.equal(spec.streamUrl, `ws://${serviceHost('alpaca-sim', 8080)}`);
    assert.equal(spec.dataUrl, `http://${serviceHost('alpaca-sim', 8080)}`);
    assert.deepEqual(spec.kafka.bootstrapServers, [serviceHost('kafka', 9092)]);
    find(resources, 'Secret', spec.credentialsSecretRef.name);

    const crd = parse(
      await readFile(path.join(projectRoot, 'crds/alpacaforwarders.torghut.io.yaml'), 'utf8'),
    );
    const topicProps = dig(
      crd,
      ['spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'kafka'],
      ['properties', 'topics', 'properties'],
    ) as Record<string, { default: string; pattern?: string }> | undefined;
    assert.ok(topicProps);
    const text = await readFile(runScript, 'utf8');
    const topics = /^TOPICS=\(([^)]*)\)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
    assert.deepEqual(
      topics.sort(),
      // The topic names (the properties with a name pattern; mode, partitions, ... are settings).
      Object.values(topicProps)
        .filter((p) => p.pattern !== undefined)
        .map((p) => p.default)
        .sort(),
    );
  });

  test('sim-server.ts (the simulator image entry) serves the test stream and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(kindDir, 'sim-server.ts')], {
      env: { ...process.env, SIM_HOST: '127.0.0.1', SIM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await once(lines, 'line')) as [string];
      const { urls } = JSON.parse(first) as { urls: { stream: string } };
      const ws = new WebSocket(`${urls.stream}/v2/test`);
      const messages: unknown[][] = [];
      const next = () =>
        new Promise<unknown[]>((resolve) => {
          const queued = messages.shift();
          if (queued) resolve(queued);
          else ws.once('message', () => resolve(messages.shift() ?? []));
        });
      ws.on('message', (data) => messages.push(JSON.parse(String(data)) as unknown[]));
      assert.deepEqual(await next(), [{ T: 'success', msg: 'connected' }]);
      ws.send(JSON.stringify({ action: 'auth', key: 'PKTEST', secret: 'SKTEST' }));
      assert.deepEqual(await next(), [{ T: 'success', msg: 'authenticated' }]);
      ws.close();
      await once(ws, 'close');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
