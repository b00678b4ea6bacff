import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { createMetrics } from '../../../../forwarder/health/metrics.ts';
import {
  createSubscriptionMetrics,
  createSymbolsSourceMetrics,
} from '../../../../forwarder/health/subscription-metrics.ts';
import { createLeaseMetric } from '../../../../forwarder/lease/metrics.ts';

test('docs/forwarder.md lists exactly the metrics the forwarder registers (names are a contract)', async () => {
  const docs = await readFile(new URL('../../../../docs/forwarder.md', import.meta.url), 'utf8');
  const section = docs.slice(docs.indexOf('## Metrics'), docs.indexOf('## Envelope'));
  const documented = new Set([...section.matchAll(/^\| `(alpaca_forwarder_[a-z0-9_]+)`/gm)].map((m) => m[1]));
  // What forwarder/app/run.ts registers: the forwarder metrics, the Lease gauge, the subscription
  // and symbol-source metrics.
  const { registry } = createMetrics({ defaultMetrics: false });
  createLeaseMetric(registry);
  createSubscriptionMetrics(registry);
  createSymbolsSourceMetrics(registry);
  const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  assert.deepEqual([...registered].sort(), [...documented].sort());
});
