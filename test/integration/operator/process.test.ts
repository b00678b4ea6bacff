/**
 * The operator as a process (node operator/main.ts, what the bin entry runs after the build):
 * starts against the API server from $KUBECONFIG, takes the Lease, answers /healthz, /readyz and
 * /metrics, and on SIGTERM drains, releases the Lease and exits 0. A bad environment exits
 * non-zero naming every bad variable.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { controlPlaneFromEnv, createTestNamespace } from '../../infra/kube/index.ts';
import { installCrd } from './harness.ts';
import { operatorLease } from './resources.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const plane = controlPlaneFromEnv();
let kc: KubeConfig;
let ns: string;
const children: ChildProcess[] = [];

before(async () => {
  kc = plane.kubeConfig();
  await installCrd(plane.kubeconfigPath, kc);
  ns = await createTestNamespace(kc, 'op-proc');
});

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function startProcess(env: Record<string, string>): {
  child: ChildProcess;
  lines: string[];
  line(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
} {
  const child = spawn(process.execPath, [path.join(root, 'operator/main.ts')], {
    env: { PATH: process.env.PATH ?? '', KUBECONFIG: plane.kubeconfigPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<{
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface(stream).on('line', (line) => {
      lines.push(line);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    });
  }
  return {
    child,
    lines,
    line: (match) =>
      new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        child.once('exit', (code) =>
          reject(new Error(`operator exited (${code}) before the expected log line:\n${lines.join('\n')}`)),
        );
      }),
  };
}

test('runs as a process: leads, serves its endpoints, and on SIGTERM releases the Lease and exits 0', async () => {
  const p = startProcess({
    FORWARDER_IMAGE: 'alpaca-forwarder:test',
    WATCH_NAMESPACES: ns,
    OPERATOR_NAMESPACE: ns,
    POD_NAME: 'operator-proc',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
  });
  const started = await p.line((l) => l.msg === 'operator started');
  const port = started.port as number;
  await p.line((l) => l.msg === 'leading: reconciling');
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(readyz.status, 200);
  assert.equal(((await readyz.json()) as { role: string }).role, 'leader');
  assert.match(
    await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    /alpaca_forwarder_operator_leader 1/,
  );

  p.child.kill('SIGTERM');
  const [code] = await once(p.child, 'exit');
  assert.equal(code, 0, p.lines.join('\n'));
  const lease = await operatorLease(kc, ns, () => true, 'the operator Lease');
  assert.equal(lease.spec?.holderIdentity, '', 'released on shutdown');
  assert.ok(p.lines.some((l) => l.includes('operator stopped')));
});

test('a bad environment exits non-zero naming every bad variable', async () => {
  const p = startProcess({ WORKERS: 'many', PROBE_ADDRESS: 'dns' });
  const [code] = await once(p.child, 'exit');
  assert.equal(code, 1);
  const out = p.lines.join('\n');
  for (const name of ['WORKERS', 'PROBE_ADDRESS', 'FORWARDER_IMAGE']) assert.match(out, new RegExp(name));
});
