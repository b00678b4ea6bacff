import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { startInOrder } from '../../../../forwarder/app/start-order.ts';
import type { SinkHealth } from '../../../../forwarder/kafka/sink.ts';

const logger = pino({ level: 'silent' });

/** A sink whose health the test sets; start() resolves when the test says so. */
function fakeSink(initiallyOk: boolean) {
  let ok = initiallyOk;
  const listeners = new Set<(h: SinkHealth) => void>();
  let finishStart: () => void = () => {};
  const health = () =>
    ({
      ok,
      errorClass: ok ? null : 'kafka_unavailable',
      reason: ok ? null : 'down',
    }) as unknown as SinkHealth;
  return {
    log: [] as string[],
    listenerCount: () => listeners.size,
    finishStart: () => finishStart(),
    setOk(next: boolean) {
      ok = next;
      for (const l of [...listeners]) l(health());
    },
    sink: {
      start: () => new Promise<void>((r) => (finishStart = r)),
      health,
      onHealthChange(l: (h: SinkHealth) => void) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
  };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('startInOrder: Kafka, then the first symbols, then the Lease', () => {
  test('waits for a healthy sink, then the first symbolsFrom answer, then starts the Lease', async () => {
    const f = fakeSink(false);
    const log: string[] = [];
    let answer: () => void = () => {};
    const done = startInOrder({
      sink: f.sink,
      firstSymbols: () => {
        log.push('symbols');
        return new Promise<void>((r) => (answer = r));
      },
      startLease: () => log.push('lease'),
      logger,
      signal: new AbortController().signal,
    });
    f.finishStart();
    await turn();
    assert.deepEqual(log, [], 'nothing before Kafka is healthy');
    f.setOk(true);
    await turn();
    assert.deepEqual(log, ['symbols'], 'the first poll once Kafka accepts records');
    assert.equal(f.listenerCount(), 0, 'the health listener is removed');
    answer();
    await done;
    assert.deepEqual(log, ['symbols', 'lease']);
  });

  test('an abort while waiting for Kafka ends the sequence: no poll, no Lease, no listener left', async () => {
    const f = fakeSink(false);
    const log: string[] = [];
    const stop = new AbortController();
    const done = startInOrder({
      sink: f.sink,
      firstSymbols: async () => {
        log.push('symbols');
      },
      startLease: () => log.push('lease'),
      logger,
      signal: stop.signal,
    });
    f.finishStart();
    await turn();
    stop.abort();
    await done;
    assert.deepEqual(log, []);
    assert.equal(f.listenerCount(), 0);
  });

  test('healthy at once and no symbol source: the Lease starts right after Kafka', async () => {
    const f = fakeSink(true);
    const log: string[] = [];
    const done = startInOrder({
      sink: f.sink,
      firstSymbols: null,
      startLease: () => log.push('lease'),
      logger,
      signal: new AbortController().signal,
    });
    f.finishStart();
    await done;
    assert.deepEqual(log, ['lease']);
  });
});
