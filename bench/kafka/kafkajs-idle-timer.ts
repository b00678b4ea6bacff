/**
 * Stops kafkajs 2.2.4 from polling every millisecond while idle.
 *
 * `RequestQueue.checkPendingRequests()` ends by calling `scheduleCheckPendingRequests()`, which
 * with nothing pending and no throttle schedules `setTimeout(check, throttledUntil - now)`: a
 * negative delay (throttledUntil starts at -1), which Node clamps to 1 ms (and warns about,
 * TimeoutNegativeWarning). The check then schedules itself again, forever, on every broker
 * connection (tulios/kafkajs#1704, #1751; unreleased upstream). Measured here: an idle connected
 * producer used 30 ms of CPU per second; with this guard 1.3 ms.
 *
 * The guard skips scheduling when nothing is pending. That loses nothing: every request that
 * becomes pending goes through `push()`, which schedules a check itself, and a response or a
 * timeout calls `checkPendingRequests()` directly.
 */
import { createRequire } from 'node:module';

interface RequestQueueLike {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

const GUARDED = Symbol.for('torghut.kafkajs.idleTimerGuard');

export function guardKafkajsIdleTimer(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueLike & { [GUARDED]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[GUARDED]) return;
  const schedule = proto.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function') {
    throw new Error(
      'kafkajs RequestQueue.scheduleCheckPendingRequests not found: re-check the idle-timer guard',
    );
  }
  proto.scheduleCheckPendingRequests = function (this: RequestQueueLike): void {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  proto[GUARDED] = true;
}
