/**
 * Neither process loads @kubernetes/client-node at run time (its import alone is ~86 MiB RSS):
 * the operator talks to the API server through operator/kube/client.ts over node:http2, the
 * forwarder's connection Lease goes through forwarder/lease/kube-store.ts over node:https, both
 * with lib/kube/kube-config.ts. Type-only imports of client-node are erased and never resolved.
 * A fresh Node with a resolve hook imports an entry and lists every module resolved. The
 * forwarder has no other dynamic import; the operator has one, its Kafka Admin client
 * (operator/topics/lazy-admin.ts, loaded by the first topic ensure: @platformatic/kafka costs
 * ~47 MiB RSS), whose graph is checked on its own (import-rules.test.ts reads every import).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { projectRoot } from '../../support/tools.ts';

const run = promisify(execFile);

/**
 * The modules resolved while importing `entries`. Each is written as it resolves (synchronously),
 * so the list is complete even when an entry then exits: all static imports of an ES module
 * graph resolve before any of it runs.
 */
async function resolvedBy(entries: string[]): Promise<string[]> {
  const urls = entries.map((e) => pathToFileURL(path.join(projectRoot, e)).href);
  const script = `
    import { registerHooks } from 'node:module';
    import { writeSync } from 'node:fs';
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); writeSync(1, r.url + '\\n'); return r; } });
    for (const u of ${JSON.stringify(urls)}) await import(u);
  `;
  // An empty environment: operator/main.ts then stops at its configuration check (exit 1).
  const out = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    env: {},
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; code?: unknown }) => {
    if (typeof err.stdout !== 'string') throw err;
    return { stdout: err.stdout };
  });
  return [...new Set(out.stdout.split('\n').filter((l) => l !== ''))];
}

function assertSeen(seen: string[], expected: string[]): void {
  for (const e of expected) {
    assert.ok(
      seen.some((u) => u.includes(e)),
      `${e} among ${seen.length} resolved modules`,
    );
  }
}

const kubernetesPackages = (seen: string[]) => seen.filter((u) => u.includes('/node_modules/@kubernetes/'));

test("the operator's module graph (operator/main.ts) does not load @kubernetes/client-node", async () => {
  const seen = await resolvedBy(['operator/main.ts']);
  // The hook is live: it saw the operator's own client, its transport and its other dependencies.
  assertSeen(seen, [
    '/operator/controller/runtime.ts',
    '/operator/kube/client.ts',
    '/lib/kube/http2-transport.ts',
    '/lib/kube/kube-config.ts',
    '/node_modules/pino/',
    'node:http2',
  ]);
  assert.deepEqual(kubernetesPackages(seen), []);
  assert.deepEqual(
    seen.filter((u) => u.includes('/node_modules/@platformatic/')),
    [],
    'the Kafka Admin client is loaded on first use only',
  );
});

test("the operator's lazily loaded Kafka Admin client does not load @kubernetes/client-node either", async () => {
  const seen = await resolvedBy(['operator/topics/platformatic-admin.ts']);
  assertSeen(seen, ['/node_modules/@platformatic/kafka/']);
  assert.deepEqual(kubernetesPackages(seen), []);
});

test("the forwarder's module graph does not load @kubernetes/client-node", async () => {
  const seen = await resolvedBy(['forwarder/app/run.ts', 'forwarder/log/process-warnings.ts']);
  assertSeen(seen, [
    '/forwarder/lease/kube-store.ts',
    '/node_modules/pino/',
    '/node_modules/ws/',
    'node:https',
  ]);
  assert.deepEqual(kubernetesPackages(seen), []);
});

test('the check is live: a module with a value import of client-node loads it', async () => {
  const seen = await resolvedBy(['test/infra/kube/counting-proxy.ts']);
  assert.ok(seen.some((u) => u.includes('/node_modules/@kubernetes/client-node/')));
});
