import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isPortClash } from './control-plane.ts';
import { startProcess } from './supervised-process.ts';
import { waitReady } from './wait-ready.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-proc-test-'));
after(() => rm(dir, { recursive: true, force: true }));

function node(name: string, script: string) {
  return startProcess({
    name,
    command: process.execPath,
    args: ['-e', script],
    logFile: path.join(dir, `${name}.log`),
  });
}

/** A loopback listener the child connects to once it has done its setup: an event to await. */
async function handshake() {
  const server = net.createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const connected = once(server, 'connection').finally(() => server.close());
  const signalReady = `require('node:net').connect(${port}, '127.0.0.1').on('error', () => {});`;
  return { connected, signalReady };
}

test('output goes to the log file and a SIGTERM stops a cooperative process', async () => {
  const ready = await handshake();
  const proc = await node(
    'polite',
    `console.log('hello from child'); ${ready.signalReady} setInterval(() => {}, 1000);`,
  );
  await ready.connected;
  assert.equal(proc.isRunning(), true);
  const exit = await proc.stop(10_000);
  assert.equal(exit.signal, 'SIGTERM');
  assert.equal(proc.isRunning(), false);
  assert.match(await readFile(proc.logFile, 'utf8'), /hello from child/);
});

test('a process that ignores SIGTERM is SIGKILLed after the bound', async () => {
  const ready = await handshake();
  const proc = await node(
    'stubborn',
    `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); ${ready.signalReady} setInterval(() => {}, 1000);`,
  );
  await ready.connected;
  const exit = await proc.stop(300);
  assert.equal(exit.signal, 'SIGKILL');
  assert.match(await readFile(proc.logFile, 'utf8'), /ignoring SIGTERM/);
});

test('a process that exits before it is ready fails naming itself, its log and its last lines', async () => {
  const proc = await node(
    'crasher',
    "console.error('fatal: cannot bind 127.0.0.1:1: address already in use'); process.exit(3);",
  );
  const err = await waitReady(proc, { url: 'http://127.0.0.1:1/healthz', timeoutMs: 60_000 }).then(
    () => assert.fail('waitReady resolved'),
    (e: Error) => e,
  );
  assert.match(
    err.message,
    /^crasher \(pid \d+\) exited with code 3 before http:\/\/127\.0\.0\.1:1\/healthz was ready/,
  );
  assert.ok(err.message.includes(proc.logFile));
  assert.match(err.message, /fatal: cannot bind/);
  assert.equal(isPortClash(err), true);
});

test('a process that never gets ready times out naming the URL and the last answer', async () => {
  const proc = await node('silent', 'setInterval(() => {}, 1000);');
  try {
    const err = await waitReady(proc, {
      url: 'http://127.0.0.1:1/readyz',
      timeoutMs: 300,
      intervalMs: 50,
    }).then(
      () => assert.fail('waitReady resolved'),
      (e: Error) => e,
    );
    assert.match(
      err.message,
      /^silent \(pid \d+\) was not ready at http:\/\/127\.0\.0\.1:1\/readyz within 300 ms \(last: .*ECONNREFUSED/,
    );
  } finally {
    await proc.stop();
  }
});
