import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_BACKOFF } from '../../../../forwarder/alpaca/backoff.ts';
import { createSupervisor, DEFAULT_TIMING } from '../../../../forwarder/alpaca/connection-supervisor.ts';
import { DEFAULT_READ_QUEUE, type ReadQueueConfig } from '../../../../forwarder/alpaca/read-queue.ts';
import type { SocketEvents, StreamSocket } from '../../../../forwarder/alpaca/socket.ts';
import type { StreamState } from '../../../../forwarder/alpaca/types.ts';
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
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
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

/**
 * The supervisor with fake socket and clock. Read-queue slices run inline (each frame is handled
 * as it is read) unless `slices` collects them for the test to run.
 */
function setup(opts: { readQueue?: ReadQueueConfig; slices?: (() => void)[]; readyOnFrame?: string } = {}) {
  const clock = createManualClock();
  const sock = fakeSocket();
  const frames: string[] = [];
  const discarded: number[] = [];
  const states: StreamState[] = [];
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
    onState: (st) => states.push(st),
    readQueue: opts.readQueue ?? DEFAULT_READ_QUEUE,
    scheduleSlice: (fn) => (opts.slices ? opts.slices.push(fn) : fn()),
    createSession: (link) => ({
      onOpen: () => {
        if (opts.readyOnFrame === undefined) link.ready();
      },
      onFrame: (data) => {
        frames.push(String(data));
        if (String(data) === opts.readyOnFrame) link.ready();
      },
      onEnd: () => {
        ended += 1;
      },
      onDiscardedFrame: (at) => discarded.push(at),
    }),
  });
  return { clock, sock, frames, discarded, states, supervisor, ended: () => ended };
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

test('a full read queue pauses socket reads and resumes them at half; a pong missing meanwhile is not a dead peer', () => {
  const slices: (() => void)[] = [];
  const { clock, sock, frames, states, supervisor } = setup({
    readQueue: { maxBytes: 10, sliceMs: Number.POSITIVE_INFINITY },
    slices,
  });
  supervisor.start();
  sock.open();
  sock.frame('aaaa');
  sock.frame('bbbb');
  assert.ok(!sock.calls.includes('pause'), 'below the bound reads go on');
  sock.frame('cccc');
  assert.deepEqual(sock.calls, ['pause'], 'the third frame reaches the 10-byte bound');
  assert.deepEqual(supervisor.readBacklog(), { frames: 3, bytes: 12, paused: true });
  assert.deepEqual(frames, [], 'read, not yet handled');
  // The ping goes out; its pong waits in TCP behind data the forwarder is not reading.
  clock.advance(DEFAULT_TIMING.pingIntervalMs + DEFAULT_TIMING.pongTimeoutMs);
  assert.ok(sock.calls.includes('ping'));
  assert.ok(!sock.calls.includes('terminate'), 'no reconnect on its own account');
  assert.equal(supervisor.lastState()?.status, 'healthy');
  (slices.shift() as () => void)();
  assert.deepEqual(frames, ['aaaa', 'bbbb', 'cccc']);
  assert.deepEqual(sock.calls.slice(-1), ['resume'], 'resumed once at most half is queued');
  assert.deepEqual(supervisor.readBacklog(), { frames: 0, bytes: 0, paused: false });
  // Reading again, true silence after a ping is a dead peer.
  clock.advance(DEFAULT_TIMING.pingIntervalMs + DEFAULT_TIMING.pongTimeoutMs);
  assert.ok(sock.calls.includes('terminate'));
  assert.deepEqual(
    states.filter((st) => st.status === 'reconnect').map((st) => st.reason),
    ['alpaca_ping_timeout'],
  );
});

test('a connection that ends with frames still queued: they are handled first, then the session ends', () => {
  const slices: (() => void)[] = [];
  const { sock, frames, supervisor, ended } = setup({ slices });
  supervisor.start();
  sock.open();
  sock.frame('x');
  sock.frame('y');
  sock.closed(1006);
  assert.equal(supervisor.lastState()?.status, 'reconnect');
  assert.equal(ended(), 0, 'the session outlives its queued frames');
  (slices.shift() as () => void)();
  assert.deepEqual(frames, ['x', 'y']);
  assert.equal(ended(), 1);
});

test('a reconnect waits until the frames of the last connection are handled', async () => {
  const slices: (() => void)[] = [];
  const { clock, sock, frames, states, supervisor } = setup({ slices });
  supervisor.start();
  sock.open();
  sock.frame('old');
  sock.closed(1006);
  const retryAt = supervisor.lastState()?.nextAttemptAtMs as number;
  clock.advance(retryAt - clock.now());
  assert.equal(supervisor.lastState()?.status, 'reconnect', 'not connecting behind the backlog');
  (slices.shift() as () => void)();
  assert.deepEqual(frames, ['old']);
  await Promise.resolve();
  assert.deepEqual(
    states.map((st) => st.status),
    ['connecting', 'healthy', 'reconnect', 'connecting'],
  );
});

test('handshake replies queued behind a backlog: the handshake deadline waits for them', () => {
  const slices: (() => void)[] = [];
  const { clock, sock, states, supervisor } = setup({ slices, readyOnFrame: 'authenticated' });
  supervisor.start();
  sock.open();
  sock.frame('authenticated');
  // Past the deadline (and before a ping could go unanswered: the fake peer sends no pongs).
  clock.advance(DEFAULT_TIMING.handshakeTimeoutMs + 2_000);
  assert.equal(supervisor.lastState()?.status, 'connecting', 'read, still queued: no timeout');
  (slices.shift() as () => void)();
  assert.deepEqual(
    states.map((st) => st.status),
    ['connecting', 'healthy'],
  );
});

test('a handshake with nothing read in time still times out', () => {
  const { clock, sock, supervisor } = setup({ readyOnFrame: 'authenticated' });
  supervisor.start();
  sock.open();
  clock.advance(DEFAULT_TIMING.handshakeTimeoutMs);
  assert.equal(supervisor.lastState()?.reason, 'alpaca_handshake_timeout');
});
