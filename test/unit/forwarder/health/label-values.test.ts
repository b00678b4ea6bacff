import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageTypeLabel, reasonLabel, truncateForLog } from '../../../../forwarder/health/label-values.ts';
import { createMetrics } from '../../../../forwarder/health/metrics.ts';

async function seriesOf(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).length;
}

test('10,000 distinct upstream message types (and 1 MB ones) make a bounded number of series', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  for (let i = 0; i < 10_000; i += 1) metrics.unknownMessage('market_data', `T${i}`);
  for (let i = 0; i < 5; i += 1) metrics.unknownMessage('market_data', `${'x'.repeat(1 << 20)}${i}`);
  for (let i = 0; i < 100; i += 1) metrics.unknownMessage('trade_updates', `stream${i}`);
  metrics.unknownMessage('market_data', 'o');
  assert.equal(await seriesOf(metrics, 'alpaca_forwarder_unknown_messages_total'), 3);
  const text = await metrics.registry.metrics();
  assert.match(text, /unknown_messages_total\{stream="market_data",type="other"\} 10005/);
  assert.match(text, /unknown_messages_total\{stream="trade_updates",type="other"\} 100/);
  assert.match(text, /unknown_messages_total\{stream="market_data",type="o"\} 1/);
  assert.ok(text.length < 20_000, `metrics text stays small (${text.length} chars)`);
});

test('reasons carrying upstream codes keep documented codes only', async () => {
  assert.equal(reasonLabel('alpaca_error_405'), 'alpaca_error_405');
  assert.equal(reasonLabel('alpaca_error_123456'), 'alpaca_error_other');
  assert.equal(reasonLabel('alpaca_ws_closed_1009'), 'alpaca_ws_closed_1009');
  assert.equal(reasonLabel('alpaca_ws_closed_4321'), 'alpaca_ws_closed_other');
  assert.equal(reasonLabel('alpaca_http_418'), 'alpaca_http_other');
  assert.equal(reasonLabel('alpaca_rest_429'), 'alpaca_rest_429');
  assert.equal(reasonLabel('alpaca_rest_network'), 'alpaca_rest_network');
  assert.equal(reasonLabel('missing_symbol'), 'missing_symbol');
  assert.equal(reasonLabel('Some Upstream Text!'), 'other');
  assert.equal(reasonLabel('a'.repeat(200)), 'other');
  const metrics = createMetrics({ defaultMetrics: false });
  for (let code = 0; code < 5_000; code += 1) {
    metrics.reconnect('market_data', `alpaca_error_${code}`);
    metrics.reconnect('market_data', `alpaca_ws_closed_${code}`);
    metrics.gapFillFailure('market_data', `alpaca_rest_${code}`);
  }
  assert.ok((await seriesOf(metrics, 'alpaca_forwarder_reconnects_total')) <= 32);
  assert.ok((await seriesOf(metrics, 'alpaca_forwarder_gap_fill_failures_total')) <= 12);
});

test('message type labels: documented types pass, the rest is other; log values are truncated', () => {
  assert.equal(messageTypeLabel('market_data', 't'), 't');
  assert.equal(messageTypeLabel('market_data', 'zz'), 'other');
  assert.equal(messageTypeLabel('market_data', null), 'none');
  assert.equal(messageTypeLabel('trade_updates', 'listening'), 'listening');
  assert.equal(messageTypeLabel('trade_updates', 't'), 'other');
  assert.equal(truncateForLog('abc'), 'abc');
  const cut = truncateForLog('z'.repeat(1 << 20)) ?? '';
  assert.ok(cut.length < 100 && cut.endsWith('(1048576 chars)'), cut);
});
