import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { shutdown } from '../../../../forwarder/app/shutdown.ts';
import { MemorySink } from '../../../support/fake-sink.ts';

class StuckSink extends MemorySink {
  closed = false;
  override async flush(timeoutMs?: number): Promise<void> {
    // Like the real sink: resolves after its timeout with the records still buffered.
    await new Promise((r) => setTimeout(r, Math.min(timeoutMs ?? 0, 50)));
  }
  override async close(): Promise<void> {
    this.closed = true;
  }
}

test('order: sources stopped, then flush, then close, then release; exit 0 when nothing is left', async () => {
  const order: string[] = [];
  const sink = new MemorySink();
  sink.flush = async () => {
    order.push('flush');
  };
  sink.close = async () => {
    order.push('close');
  };
  const code = await shutdown(
    {
      logger: pino({ level: 'silent' }),
      gracePeriodMs: 5000,
      sink,
      stopSources: async () => {
        order.push('sources');
      },
      release: async () => {
        order.push('release');
      },
    },
    'SIGTERM',
  );
  assert.equal(code, 0);
  assert.deepEqual(order, ['sources', 'flush', 'close', 'release']);
});

test('records left after the flush: exit 1, the loss logged with the count, the client still closed', async () => {
  const sink = new StuckSink();
  sink.setHealth({ ok: false, errorClass: 'kafka_produce', bufferedRecords: 7, bufferedBytes: 700 });
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s));
      },
    },
  );
  const code = await shutdown(
    { logger, gracePeriodMs: 1000, sink, stopSources: async () => {}, release: async () => {} },
    'SIGTERM',
  );
  assert.equal(code, 1);
  assert.equal(sink.closed, true);
  const loss = lines.find((l) => String(l.msg).startsWith('could not flush Kafka'));
  assert.ok(loss);
  assert.equal(loss.buffered_records, 7);
});
