import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { EMPTY_SUBSCRIPTIONS } from '../../../../forwarder/alpaca/subscriptions.ts';
import { createSubscriptionReports } from '../../../../forwarder/app/subscription-reports.ts';
import {
  createSubscriptionMetrics,
  createSymbolsSourceMetrics,
} from '../../../../forwarder/health/subscription-metrics.ts';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  assert.ok(m, name);
  const v = m.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  assert.ok(v, `${name} ${JSON.stringify(labels)}`);
  return v.value;
}

test('symbols source metrics: fetches by bounded result, last-success age, symbol count', async () => {
  const registry = new Registry();
  let now = 10_000;
  const m = createSymbolsSourceMetrics(registry, () => now);
  assert.equal(await value(registry, 'alpaca_forwarder_symbols_source_last_success_age_seconds'), -1);
  m.fetched('ok');
  m.succeeded(12, 4_000);
  m.fetched('http_502');
  m.fetched('too_large');
  m.fetched('something_new');
  assert.equal(await value(registry, 'alpaca_forwarder_symbols_source_fetches_total', { result: 'ok' }), 1);
  assert.equal(
    await value(registry, 'alpaca_forwarder_symbols_source_fetches_total', { result: 'http_error' }),
    1,
  );
  assert.equal(
    await value(registry, 'alpaca_forwarder_symbols_source_fetches_total', { result: 'too_large' }),
    1,
  );
  assert.equal(
    await value(registry, 'alpaca_forwarder_symbols_source_fetches_total', { result: 'fetch_error' }),
    1,
  );
  assert.equal(await value(registry, 'alpaca_forwarder_symbols_source_symbols'), 12);
  assert.equal(await value(registry, 'alpaca_forwarder_symbols_source_last_success_age_seconds'), 6);
  now = 70_000;
  assert.equal(await value(registry, 'alpaca_forwarder_symbols_source_last_success_age_seconds'), 66);
});

test('subscription reports: gauge per channel, bounded detail, event fields only while something is missing', async () => {
  const registry = new Registry();
  const reports = createSubscriptionReports(createSubscriptionMetrics(registry));
  assert.equal(reports.detail(), null);
  const many = Array.from({ length: 30 }, (_, i) => `S${String(i).padStart(2, '0')}`);
  reports.check({
    missing: { ...EMPTY_SUBSCRIPTIONS, trades: many, quotes: ['AAPL'] },
    missingCount: 31,
    resubscribeAttempts: 2,
    retrying: true,
    atMs: Date.UTC(2026, 0, 5),
  });
  assert.equal(
    await value(registry, 'alpaca_forwarder_subscription_missing_symbols', { channel: 'trades' }),
    30,
  );
  assert.equal(
    await value(registry, 'alpaca_forwarder_subscription_missing_symbols', { channel: 'quotes' }),
    1,
  );
  assert.equal(
    await value(registry, 'alpaca_forwarder_subscription_missing_symbols', { channel: 'bars' }),
    0,
  );
  const detail = reports.detail() as { missing: Record<string, string[]>; missing_count: number };
  assert.equal(detail.missing_count, 31);
  assert.equal(detail.missing.trades?.length, 20);
  assert.deepEqual(detail.missing.quotes, ['AAPL']);
  assert.equal(reports.eventFields()?.missing_count, 31);
  reports.resubscribed({ ...EMPTY_SUBSCRIPTIONS, quotes: ['AAPL'] });
  assert.equal(
    await value(registry, 'alpaca_forwarder_subscription_resubscribes_total', { channel: 'quotes' }),
    1,
  );
  reports.check({
    missing: EMPTY_SUBSCRIPTIONS,
    missingCount: 0,
    resubscribeAttempts: 2,
    retrying: false,
    atMs: 0,
  });
  assert.equal(reports.eventFields(), null);
  assert.equal(
    await value(registry, 'alpaca_forwarder_subscription_missing_symbols', { channel: 'trades' }),
    0,
  );
});
