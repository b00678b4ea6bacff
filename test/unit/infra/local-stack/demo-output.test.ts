/**
 * The demo's way of ending (test/infra/local-stack/demo-output.ts), read through a pipe to the
 * end: a child that prints large status tables and envelope lines and asks for the shutdown from
 * many callbacks exits 0 with `stopped` as its last line, every time, and prints no status after
 * `stopping`. Also the poller and the once-only shutdown on their own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createShutdown, startPoller } from '../../../infra/local-stack/demo-output.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/noisy-demo.ts');
const RUNS = 12;

function runChild(linesBeforeExit: number): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CHILD, String(linesBeforeExit)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

test(`the last line, stopped, reaches the pipe on every run (${RUNS} runs)`, async () => {
  for (let i = 0; i < RUNS; i++) {
    const { code, stdout } = await runChild(50 + i * 40);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(code, 0, `run ${i}: exit code`);
    assert.equal(lines.at(-1), 'stopped', `run ${i}: the last line (of ${lines.length})`);
    const stoppingAt = lines.indexOf('stopping: everything');
    assert.equal(stoppingAt, lines.length - 2, `run ${i}: nothing is printed between stopping and stopped`);
    assert.ok(
      lines.slice(0, stoppingAt).some((l) => l.startsWith('status ')),
      `run ${i}: the status poller printed before stopping`,
    );
  }
});

test('the poller never overlaps itself and stop() waits for the run in flight', async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release: (() => void) | undefined;
  let started: (() => void) | undefined;
  const firstStarted = new Promise<void>((r) => {
    started = r;
  });
  const poller = startPoller(async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    runs++;
    started?.();
    await new Promise<void>((r) => {
      release = r;
    });
    running--;
  }, 0);
  await firstStarted;
  let stopped = false;
  const stopping = poller.stop().then(() => {
    stopped = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false, 'stop() waits while a run is in flight');
  release?.();
  await stopping;
  assert.equal(running, 0);
  assert.equal(maxRunning, 1);
  assert.equal(runs, 1, 'no run starts after stop()');
});

test('the shutdown runs once however often it is asked for, and exits after its last line is written', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const order: string[] = [];
  let stops = 0;
  const exits: number[] = [];
  const shutdown = createShutdown({
    out,
    quiet: async () => {
      order.push('quiet');
    },
    stoppingLine: 'stopping: all',
    stop: async () => {
      stops++;
      order.push('stop');
      await new Promise((r) => setImmediate(r));
    },
    exit: (code) => {
      order.push(`exit ${code}`);
      exits.push(code);
    },
  });
  const calls = [shutdown(0), shutdown(1), shutdown(0)];
  await Promise.all(calls);
  await shutdown(1);
  assert.equal(stops, 1);
  assert.deepEqual(exits, [0], 'exits once, with the first caller’s code');
  assert.deepEqual(order, ['quiet', 'stop', 'exit 0']);
  assert.equal(text, 'stopping: all\nstopped\n');
});

test('a failed stop is reported and exits 1', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exits: number[] = [];
  await createShutdown({
    out,
    quiet: async () => undefined,
    stoppingLine: 'stopping',
    stop: async () => {
      throw new Error('kafka would not stop');
    },
    exit: (code) => exits.push(code),
  })(0);
  assert.deepEqual(exits, [1]);
  assert.equal(text, 'stopping\nstop failed: kafka would not stop\nstopped\n');
});
