/**
 * The forwarder process never loads @kubernetes/client-node (its import alone is ~83 MB RSS;
 * the connection Lease goes through forwarder/lease/kube-store.ts over node:https). A fresh Node
 * with a resolve hook imports exactly what forwarder/main.ts imports and lists every module
 * resolved; the forwarder has no other dynamic import (import-rules.test.ts reads them all).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { projectRoot } from '../../support/tools.ts';

const run = promisify(execFile);

async function resolvedBy(entries: string[]): Promise<string[]> {
  const urls = entries.map((e) => pathToFileURL(path.join(projectRoot, e)).href);
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
    for (const u of ${JSON.stringify(urls)}) await import(u);
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as string[];
}

test("the forwarder's module graph does not load @kubernetes/client-node", async () => {
  const seen = await resolvedBy(['forwarder/app/run.ts', 'forwarder/log/process-warnings.ts']);
  // The hook is live: it saw the forwarder's own Lease store and its other dependencies.
  for (const expected of [
    '/forwarder/lease/kube-store.ts',
    '/node_modules/pino/',
    '/node_modules/ws/',
    'node:https',
  ]) {
    assert.ok(
      seen.some((u) => u.includes(expected)),
      `${expected} among ${seen.length} resolved modules`,
    );
  }
  assert.deepEqual(
    seen.filter((u) => u.includes('/node_modules/@kubernetes/')),
    [],
  );
});

test('the check is live: the operator entry graph does load @kubernetes/client-node', async () => {
  const seen = await resolvedBy(['operator/kube/lease-store.ts', 'lib/lease/kube-record.ts']);
  assert.ok(seen.some((u) => u.includes('/node_modules/@kubernetes/client-node/')));
});
