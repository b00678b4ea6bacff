/**
 * The README's demo command (`npm start` = `node scripts/demo.ts`) as a user runs it, with
 * DEMO_EXIT_AFTER_ENVELOPES so it exits by itself: exit code 0, `kubectl get af` shows both
 * samples Ready=True, envelopes are printed, everything stops cleanly, and none of the
 * simulator's account secrets appears in what it printed (its operator log goes to stderr).
 * It starts its own full stack (control plane, Kafka, simulator, operator, pod runner).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_TOPICS, REPO_ROOT } from '../../infra/local-stack/stack.ts';

/** The simulator accounts the demo's stack uses (startLocalStack's defaults). */
const DEMO_SECRETS = ['SKDEMO1-not-a-real-secret', 'SKDEMO2-not-a-real-secret'];
const SAMPLE_SYMBOLS = ['FAKEPACA', 'AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'META', 'TSLA', 'SPY', 'QQQ'];
/** Safety net only: the command exits on its own once the samples are Ready and 20 envelopes were read. */
const TIMEOUT_MS = 360_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<Run> {
  // The simulator, not Alpaca: the demo uses Alpaca when ALPACA_KEY_ID/ALPACA_SECRET_KEY are set.
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_EXIT_AFTER_ENVELOPES: '20' };
  delete env.ALPACA_KEY_ID;
  delete env.ALPACA_SECRET_KEY;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/demo.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // SIGINT: the demo stops its stack cleanly; the test fails on the timeout below.
      child.kill('SIGINT');
      reject(new Error(`the demo did not exit within ${TIMEOUT_MS} ms; output:\n${stdout}\n${stderr}`));
    }, TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last `kubectl get af -A` table the demo printed, as rows of columns. */
function lastTable(stdout: string): string[][] {
  const blocks = stdout.split('$ kubectl get af -A\n').slice(1);
  const last = blocks.at(-1);
  assert.ok(last !== undefined, 'the demo printed `kubectl get af -A`');
  const lines = last.split('\n\n')[0]?.trim().split('\n') ?? [];
  return lines.map((l) => l.trim().split(/\s+/));
}

test('the demo command runs the whole system and exits 0 after 20 envelopes', {
  timeout: TIMEOUT_MS + 60_000,
}, async () => {
  const run = await runDemo();
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.code, 0, `exit code ${run.code} (signal ${run.signal}); output:\n${output}`);

  const [header, ...rows] = lastTable(run.stdout);
  assert.deepEqual(header, ['NAMESPACE', 'NAME', 'READY', 'REASON', 'FEED', 'SYMBOLS', 'RESTARTS', 'AGE']);
  assert.deepEqual(
    rows.map((r) => r.slice(0, 7)),
    [
      ['torghut', 'fakepaca', 'True', 'Streaming', 'test', '1', '0'],
      ['torghut', 'iex-equities', 'True', 'Streaming', 'iex', '9', '0'],
    ],
  );

  const envelopeLines = run.stdout.split('\n').filter((l) => /^\[torghut\.[a-z0-9.-]+\] key=\S+ \{/.test(l));
  assert.ok(envelopeLines.length > 0, 'the demo printed envelopes');
  for (const line of envelopeLines) {
    const topic = /^\[([^\]]+)\]/.exec(line)?.[1] ?? '';
    assert.ok(DEFAULT_TOPICS.includes(topic), `envelope line from an unknown topic: ${line}`);
    assert.match(line, /^\S+ key=(\S+) \{"schema_version":1,/);
  }
  const keys = new Set(envelopeLines.map((l) => /key=(\S+)/.exec(l)?.[1]));
  assert.ok(
    [...keys].some((k) => k !== undefined && SAMPLE_SYMBOLS.includes(k)),
    `envelopes of the samples' symbols (keys seen: ${[...keys].join(', ')})`,
  );
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-1), 'stopped', 'the last line: the demo stopped its stack');
  const stoppingAt = lines.findIndex((l) => l.startsWith('stopping: '));
  assert.ok(stoppingAt >= 0, 'the demo said it was stopping');
  assert.deepEqual(
    lines.slice(stoppingAt + 1).filter((l) => l.includes('kubectl get af') || /^\[torghut\./.test(l)),
    [],
    'no status table or envelope after stopping',
  );

  // The operator starts before the CRD is applied: one clear line, no 404 watch warnings.
  const operatorLog = run.stderr.split('\n').filter((l) => l.startsWith('{'));
  assert.ok(
    operatorLog.filter((l) => l.includes('CRD alpacaforwarders.torghut.io not installed; waiting')).length <=
      1,
    'at most one CRD waiting line',
  );
  assert.deepEqual(
    operatorLog.filter((l) => l.includes('watch restarting') && l.includes('alpacaforwarders')),
    [],
    'no watch-restart warnings for the CRD that is not applied yet',
  );
  assert.match(run.stdout, /^Prometheus: http:\/\/127\.0\.0\.1:\d+ /m, 'the demo prints its Prometheus URL');

  for (const value of DEMO_SECRETS) {
    assert.equal(output.includes(value), false, 'a simulator account secret appeared in the demo output');
    assert.equal(output.includes(Buffer.from(value).toString('base64')), false);
  }
});
