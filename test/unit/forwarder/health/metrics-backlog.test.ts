import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../../../forwarder/health/metrics.ts';

test('the backlog gauges read the sink at each scrape: 0 until wired, then its unacked records and bytes', async () => {
  const m = createMetrics({ defaultMetrics: false });
  const value = async (name: string) =>
    (await m.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? Number.NaN;
  assert.equal(await value('alpaca_forwarder_backlog_events'), 0);
  let unacked = { events: 1200, bytes: 480_000 };
  m.backlogFrom(() => unacked);
  assert.equal(await value('alpaca_forwarder_backlog_events'), 1200);
  assert.equal(await value('alpaca_forwarder_backlog_bytes'), 480_000);
  unacked = { events: 0, bytes: 0 };
  assert.equal(await value('alpaca_forwarder_backlog_events'), 0, 'drained: read again at the next scrape');
  const text = await m.registry.metrics();
  assert.match(text, /^alpaca_forwarder_backlog_bytes 0$/m);
});
