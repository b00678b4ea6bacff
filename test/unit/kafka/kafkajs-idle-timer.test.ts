import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { guardKafkajsIdleTimer } from '../../../forwarder/kafka/kafkajs-idle-timer.ts';

interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (
  o: Record<string, unknown>,
) => Queue;
const silent = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => silent };

function queue(): Queue {
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: '127.0.0.1:1',
    logger: silent,
    isConnected: () => true,
  });
}

test('kafkajs schedules a 1 ms re-check with nothing pending; the guard schedules none and keeps real checks', () => {
  const unguarded = queue();
  unguarded.scheduleCheckPendingRequests();
  assert.notEqual(unguarded.throttleCheckTimeoutId, null, 'kafkajs 2.2.4 arms a timer with an empty queue');
  unguarded.destroy();

  guardKafkajsIdleTimer();
  guardKafkajsIdleTimer(); // idempotent

  const idle = queue();
  idle.scheduleCheckPendingRequests();
  assert.equal(idle.throttleCheckTimeoutId, null, 'no timer while nothing is pending');

  const busy = queue();
  busy.pending.push({});
  busy.scheduleCheckPendingRequests();
  assert.notEqual(busy.throttleCheckTimeoutId, null, 'a pending request is still checked');
  busy.destroy();
  idle.destroy();
});
