/**
 * The real CLI as a child process: SIGTERM during streaming closes the Alpaca socket with a close
 * frame (slot free at once), flushes Kafka (nothing buffered lost) and exits 0; invalid env exits
 * non-zero naming every bad key; no secret in any output.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { readTopic } from '../../infra/kafka/clients.ts';
import { kafkaFromEnv } from '../../infra/kafka/info.ts';
import type { AlpacaSim } from '../../sim/alpaca/index.ts';
import {
  cleanupAfterAll,
  forwarderEnv,
  freshTopics,
  KEY_ID,
  SECRET,
  spawnCli,
  startSim,
  waitReadiness,
} from './harness.ts';

const kafka = kafkaFromEnv();
const cleanup = cleanupAfterAll();

/** Authenticates another client with the same key; resolves with the auth outcome. */
async function tryAuth(sim: AlpacaSim): Promise<'authenticated' | number> {
  const ws = new WebSocket(sim.streamUrl('iex'));
  try {
    return await new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data) => {
        for (const m of JSON.parse(String(data)) as { T: string; msg?: string; code?: number }[]) {
          if (m.T === 'success' && m.msg === 'connected')
            ws.send(JSON.stringify({ action: 'auth', key: KEY_ID, secret: SECRET }));
          if (m.T === 'success' && m.msg === 'authenticated') resolve('authenticated');
          if (m.T === 'error') resolve(m.code ?? -1);
        }
      });
    });
  } finally {
    ws.close(1000);
  }
}

async function waitForMetric(base: string, re: RegExp, want: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let got = -1;
  while (Date.now() < deadline) {
    const m = re.exec(await (await fetch(`${base}/metrics`)).text());
    got = m ? Number(m[1]) : 0;
    if (got >= want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`metric ${re} stayed at ${got}, wanted ${want}`);
}

describe('alpaca-forwarder CLI', () => {
  test('SIGTERM while streaming: clean close, slot free at once, everything flushed, exit 0', async () => {
    // Default linger (90 s): an abrupt close would keep the slot and the second auth would get 406.
    const sim = await startSim(cleanup);
    const topics = await freshTopics(kafka);
    const child = spawnCli(forwarderEnv(sim, kafka, topics, { KAFKA_LINGER_MS: '1000' }));
    cleanup.push(async () => {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    });
    const listening = await child.waitForLog((l) => l.msg === 'health server listening');
    const base = `http://127.0.0.1:${listening.health_port}`;
    await waitReadiness(base, (b) => b.ready, 'ready');
    const conn = sim.log.connectionList().find((c) => c.kind === 'market' && c.closedAt === null);
    assert.ok(conn);
    const total = 200;
    for (let i = 0; i < total; i += 1)
      sim.push([sim.data.trade(['AAPL', 'MSFT', 'TSLA'][i % 3] as string, { i: 50_000 + i })]);
    // Every event read off the socket (frames still in flight when the close frame goes out are
    // the stream's business); with a 1 s linger they sit in the sink's buffer when SIGTERM comes.
    await waitForMetric(base, /^alpaca_forwarder_events_forwarded_total\{channel="trades"\} (\d+)/m, total);
    child.proc.kill('SIGTERM');
    const close = await sim.log.waitForClose(conn.id, { timeoutMs: 30_000 });
    assert.equal(close.how, 'clean', 'close frame sent');
    assert.equal(await tryAuth(sim), 'authenticated', 'the slot is free at once (no 406)');
    assert.equal(await child.exited, 0);
    const records = await readTopic(kafka, topics.trades, { count: total });
    assert.equal(new Set(records.map((r) => JSON.parse(r.value ?? '{}').payload.i)).size, total);
    const output = child.stdout.join('\n') + child.stderr.join('');
    for (const secret of [SECRET, KEY_ID]) assert.ok(!output.includes(secret), 'secret in CLI output');
    assert.ok(child.stdout.some((l) => l.includes('Kafka flushed and disconnected')));
    // kafkajs set Node 24's TimeoutNegativeWarning off; its successor sets off no warning at all.
    const warnings = child.stdout.filter((l) => l.includes('"process warning"'));
    assert.deepEqual(warnings, [], 'no Node process warning during a whole run');
  });

  test('a Node process warning is logged as JSON at warn (name, message, code), not printed on stderr', async () => {
    const sim = await startSim(cleanup);
    const topics = await freshTopics(kafka);
    const preload = fileURLToPath(new URL('./fixtures/warn-on-sigusr2.ts', import.meta.url));
    const child = spawnCli(forwarderEnv(sim, kafka, topics, { NODE_OPTIONS: `--import=${preload}` }));
    cleanup.push(async () => {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    });
    await child.waitForLog((l) => l.msg === 'health server listening');
    // Whichever comes first: the JSON log line (routed) or Node's own stderr print (not routed).
    const onStderr = new Promise<'stderr'>((resolve) => {
      const check = (): void => {
        if (child.stderr.join('').includes('FWD_TEST_WARNING')) resolve('stderr');
      };
      child.proc.stderr?.on('data', check);
      check();
    });
    // Any other warning logged the same way first is not ours: wait for ours.
    const logged = child.waitForLog(
      (l) => l.msg === 'process warning' && (l.warning as { code?: string })?.code === 'FWD_TEST_WARNING',
    );
    child.proc.kill('SIGUSR2');
    const first = await Promise.race([logged, onStderr]);
    assert.notEqual(first, 'stderr', `warning printed on stderr: ${child.stderr.join('')}`);
    assert.deepEqual((first as Record<string, unknown>).warning, {
      name: 'TestWarning',
      message: 'a test warning',
      code: 'FWD_TEST_WARNING',
    });
    assert.equal((first as Record<string, unknown>).level, 'warn');
    child.proc.kill('SIGTERM');
    assert.equal(await child.exited, 0);
    assert.ok(!child.stderr.join('').includes('FWD_TEST_WARNING'), 'warning also printed on stderr');
  });

  test('invalid env: exit 2 with every bad key named, no secret echoed', async () => {
    const child = spawnCli({
      ALPACA_KEY_ID: KEY_ID,
      ALPACA_SECRET_KEY: SECRET,
      SYMBOLS: 'AAPL',
      KAFKA_BOOTSTRAP: '127.0.0.1:1',
      KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
      KAFKA_LINGER_MS: 'fast',
      ENABLE_TRADE_UPDATES: 'maybe',
      DEDUP_MAX_ENTRIES: '-5',
    });
    assert.equal(await child.exited, 2);
    const err = child.stderr.join('');
    for (const key of ['KAFKA_LINGER_MS', 'ENABLE_TRADE_UPDATES', 'DEDUP_MAX_ENTRIES'])
      assert.match(err, new RegExp(key));
    assert.ok(!err.includes(SECRET) && !err.includes(KEY_ID));
  });
});
