import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isPortClash } from './control-plane.ts';
import { startProcess, withParentDeathSignal } from './supervised-process.ts';
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

test('children die with a SIGKILLed parent (parent-death signal through setpriv)', async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const grandchild = `require('node:net').connect(${port}, '127.0.0.1'); setInterval(() => {}, 1000);`;
  const parentScript = [
    `import { startProcess } from ${JSON.stringify(new URL('./supervised-process.ts', import.meta.url).href)};`,
    `await startProcess({ name: 'grandchild', command: process.execPath, args: ['-e', ${JSON.stringify(grandchild)}], logFile: ${JSON.stringify(path.join(dir, 'grandchild.log'))} });`,
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const connection = once(server, 'connection');
  const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], { stdio: 'inherit' });
  const [socket] = (await connection) as [net.Socket];
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  const parentExit = once(parent, 'exit');
  parent.kill('SIGKILL');
  const [, signal] = await parentExit;
  assert.equal(signal, 'SIGKILL', 'the parent had no chance to clean up');
  // The grandchild's only way to close this connection is to die: with its parent.
  await closed;
  server.close();
});

test('without setpriv the command is spawned as is', () => {
  assert.deepEqual(withParentDeathSignal('/bin/etcd', ['--a'], false), {
    command: '/bin/etcd',
    args: ['--a'],
  });
  assert.deepEqual(withParentDeathSignal('/bin/etcd', ['--a'], true), {
    command: '/usr/bin/setpriv',
    args: ['--pdeathsig', 'SIGKILL', '--', '/bin/etcd', '--a'],
  });
});
