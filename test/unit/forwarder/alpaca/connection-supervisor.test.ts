import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_BACKOFF } from '../../../../forwarder/alpaca/backoff.ts';
import { createSupervisor, DEFAULT_TIMING } from '../../../../forwarder/alpaca/connection-supervisor.ts';
import type { SocketEvents, StreamSocket } from '../../../../forwarder/alpaca/socket.ts';
import { createManualClock } from '../../../support/manual-clock.ts';
import { silentLogger } from '../../../support/silent-logger.ts';

/** One fake socket the test drives: what the supervisor did to it, and its event callbacks. */
function fakeSocket() {
  const calls: string[] = [];
  let events: SocketEvents | null = null;
  let open = false;
  const socket: StreamSocket = {
    send: () => calls.push('send'),
    ping: () => calls.push('ping'),
    close: (code) => calls.push(`close:${code}`),
    terminate: () => {
      calls.push('terminate');
      open = false;
    },
    get isOpen() {
      return open;
    },
  };
  return {
    calls,
    factory: (_url: string, _o: unknown, e: SocketEvents) => {
      events = e;
      return socket;
    },
    open() {
      open = true;
      events?.onOpen();
    },
    frame(text: string) {
      events?.onMessage(Buffer.from(text), false);
    },
    closed(code: number) {
      open = false;
      events?.onClose(code);
    },
  };
}

function setup() {
  const clock = createManualClock();
  const sock = fakeSocket();
  const frames: string[] = [];
  const discarded: number[] = [];
  let ended = 0;
  const supervisor = createSupervisor({
    stream: 'market_data',
    url: 'ws://fake',
    headers: {},
    socketFactory: sock.factory,
    clock,
    random: () => 0,
    backoff: DEFAULT_BACKOFF,
    timing: DEFAULT_TIMING,
    logger: silentLogger,
    onState: () => {},
    createSession: (link) => ({
      onOpen: () => link.ready(),
      onFrame: (data) => frames.push(String(data)),
      onEnd: () => {
        ended += 1;
      },
      onDiscardedFrame: (at) => discarded.push(at),
    }),
  });
  return { clock, sock, frames, discarded, supervisor, ended: () => ended };
}

test('stop(): frames that arrive before the peer close frame are delivered; stop resolves at the close', async () => {
  const { sock, frames, discarded, supervisor, ended } = setup();
  supervisor.start();
  sock.open();
  let stopped = false;
  const stopping = supervisor.stop().then(() => {
    stopped = true;
  });
  assert.deepEqual(sock.calls, ['close:1000']);
  sock.frame('a');
  sock.frame('b');
  assert.deepEqual(frames, ['a', 'b']);
  assert.equal(ended(), 0, 'the session lives until the close');
  sock.closed(1000);
  await stopping;
  assert.equal(stopped, true);
  assert.equal(ended(), 1);
  assert.deepEqual(discarded, []);
});

test('stop(): past closeTimeoutMs the socket is terminated and frames still arriving are counted as discarded', async () => {
  const { clock, sock, frames, discarded, supervisor, ended } = setup();
  supervisor.start();
  sock.open();
  const stopping = supervisor.stop();
  sock.frame('a');
  clock.advance(DEFAULT_TIMING.closeTimeoutMs);
  assert.deepEqual(sock.calls, ['close:1000', 'terminate']);
  assert.equal(ended(), 1);
  sock.frame('late');
  sock.closed(1006);
  await stopping;
  assert.deepEqual(frames, ['a']);
  assert.deepEqual(discarded, [clock.now()]);
});

test('under load the pong waits behind data: any inbound frame answers the ping, no reconnect', () => {
  const { clock, sock, frames, supervisor } = setup();
  supervisor.start();
  sock.open();
  // 150 s in which the peer's pong never gets through, but a data frame arrives every second.
  for (let i = 0; i < 150; i++) {
    clock.advance(1_000);
    sock.frame(`f${i}`);
  }
  assert.equal(sock.calls.filter((c) => c === 'ping').length, 15);
  assert.equal(frames.length, 150);
  assert.ok(!sock.calls.includes('terminate'), 'the socket is kept');
  assert.equal(supervisor.lastState()?.status, 'healthy');
  // Then true silence after a ping: the peer is dead.
  clock.advance(DEFAULT_TIMING.pingIntervalMs + DEFAULT_TIMING.pongTimeoutMs);
  assert.ok(sock.calls.includes('terminate'));
  assert.equal(supervisor.lastState()?.reason, 'alpaca_ping_timeout');
});
