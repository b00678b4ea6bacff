/**
 * The alert rules and dashboards of config/monitoring/: generated files up to date, the plain
 * rule file and the PrometheusRule carrying the same groups, only metric names the forwarder and
 * the operator export, every alert with its annotations and a runbook anchor that exists, and
 * Debian's promtool: `check rules` on both files, `test rules` with a firing and a silent case
 * for every alert.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { createMetrics } from '../../../forwarder/health/metrics.ts';
import {
  createSubscriptionMetrics,
  createSymbolsSourceMetrics,
} from '../../../forwarder/health/subscription-metrics.ts';
import { createLeaseMetric } from '../../../forwarder/lease/metrics.ts';
import { createOperatorMetrics } from '../../../operator/metrics.ts';
import { outputs, PROMETHEUS_RULE_FILE, RULES_FILE } from '../../../scripts/generate-monitoring.ts';
import { ALL_ALERTS, OPERATOR_ALERTS, RUNBOOK_URL } from '../../../scripts/monitoring/alerts.ts';
import { DASHBOARDS, dashboardQueries } from '../../../scripts/monitoring/dashboards.ts';
import { ensureTool, projectRoot, run } from '../../support/tools.ts';

const PROMTOOL_TESTS = path.join(projectRoot, 'test/unit/monitoring/alerts.promtool.yaml');

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
type Groups = Array<{ name: string; rules: Rule[] }>;

async function readYaml<T>(file: string): Promise<T> {
  return parse(await readFile(path.join(projectRoot, file), 'utf8')) as T;
}

/** Every metric family the forwarder and the operator register. */
async function exportedMetricNames(): Promise<Set<string>> {
  const forwarder = createMetrics({ defaultMetrics: false });
  createLeaseMetric(forwarder.registry);
  createSubscriptionMetrics(forwarder.registry);
  createSymbolsSourceMetrics(forwarder.registry);
  const names = new Set<string>();
  for (const registry of [forwarder.registry, createOperatorMetrics().registry] as Registry[]) {
    for (const m of await registry.getMetricsAsJSON()) names.add(m.name);
  }
  return names;
}

/** Metric families named in a PromQL expression (histogram series map to their family). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\balpaca_forwarder_[a-z0-9_]+/g)].map(([m]) =>
    m.replace(/_(bucket|sum|count)$/, ''),
  );
}

/** GitHub's heading anchors of a Markdown file. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(
      String(heading)
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

describe('config/monitoring: alert rules and dashboards', () => {
  let promtool: string;
  let tmp: string;
  before(async () => {
    promtool = await ensureTool('promtool');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'promtool-'));
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the generated files are up to date (node scripts/generate-monitoring.ts)', async () => {
    for (const [file, want] of outputs()) {
      const have = await readFile(path.join(projectRoot, file), 'utf8').catch(() => '');
      assert.equal(have, want, `${file} is stale: run node scripts/generate-monitoring.ts`);
    }
  });

  test('the PrometheusRule carries exactly the groups of the plain rule file', async () => {
    const plain = await readYaml<{ groups: Groups }>(RULES_FILE);
    const cr = await readYaml<{ apiVersion: string; kind: string; spec: { groups: Groups } }>(
      PROMETHEUS_RULE_FILE,
    );
    assert.equal(cr.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(cr.kind, 'PrometheusRule');
    assert.deepEqual(cr.spec.groups, plain.groups);
    assert.deepEqual(
      plain.groups.flatMap((g) => g.rules.map((r) => r.alert)),
      ALL_ALERTS.map((a) => a.alert),
    );
  });

  test('alerts and dashboards use only metric names the forwarder and the operator export', async () => {
    const exported = await exportedMetricNames();
    const exprs = [
      ...ALL_ALERTS.map((a) => ({ where: a.alert, expr: a.series })),
      ...DASHBOARDS.flatMap((d) =>
        dashboardQueries(d).map((q) => ({ where: `${d.title}: ${q.panel}`, expr: q.expr })),
      ),
    ];
    const unknown: string[] = [];
    for (const { where, expr } of exprs) {
      const used = metricsIn(expr);
      assert.ok(used.length > 0, `${where} uses no metric`);
      for (const m of used) if (!exported.has(m)) unknown.push(`${where}: ${m}`);
    }
    assert.deepEqual(unknown, []);
  });

  test('every alert: severity, summary, a description naming its AlpacaForwarder, a runbook anchor that exists', async () => {
    const runbook = anchors(await readFile(path.join(projectRoot, 'docs/runbook.md'), 'utf8'));
    const { groups } = await readYaml<{ groups: Groups }>(RULES_FILE);
    const operatorWide = new Set(
      OPERATOR_ALERTS.filter((a) => !a.series.includes('name)')).map((a) => a.alert),
    );
    for (const rule of groups.flatMap((g) => g.rules)) {
      assert.match(rule.labels.severity ?? '', /^(critical|warning)$/, rule.alert);
      assert.ok((rule.annotations.summary ?? '').length > 10, `${rule.alert} summary`);
      const description = rule.annotations.description ?? '';
      if (operatorWide.has(rule.alert)) {
        // Operator-wide series have no resource label; they name the operator's namespace.
        assert.match(description, /\{\{ \$labels\.namespace \}\}/, rule.alert);
      } else {
        assert.match(
          description,
          /AlpacaForwarder \{\{ \$labels\.namespace \}\}\/\{\{ \$labels\.(alpacaforwarder|name) \}\}/,
          rule.alert,
        );
      }
      const url = rule.annotations.runbook_url ?? '';
      assert.ok(url.startsWith(`${RUNBOOK_URL}#`), `${rule.alert} runbook_url ${url}`);
      const anchor = url.slice(RUNBOOK_URL.length + 1);
      assert.ok(runbook.has(anchor), `${rule.alert}: docs/runbook.md has no heading #${anchor}`);
    }
  });

  test('promtool check rules accepts the plain rule file and the PrometheusRule groups', async () => {
    const cr = await readYaml<{ spec: { groups: Groups } }>(PROMETHEUS_RULE_FILE);
    const fromCr = path.join(tmp, 'from-prometheusrule.yaml');
    await writeFile(fromCr, stringify({ groups: cr.spec.groups }));
    for (const file of [path.join(projectRoot, RULES_FILE), fromCr]) {
      const result = await run(promtool, ['check', 'rules', file]);
      assert.equal(result.code, 0, `${file}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, new RegExp(`SUCCESS: ${ALL_ALERTS.length} rules found`));
    }
  });

  test('promtool test rules: every alert fires in one case and stays silent in another', async () => {
    const tests = (await readYaml<{
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    }>(path.relative(projectRoot, PROMTOOL_TESTS))) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const a of ALL_ALERTS) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      assert.ok(
        mine.some((c) => c.exp_alerts.length > 0),
        `${a.alert}: no firing case`,
      );
      assert.ok(
        mine.some((c) => c.exp_alerts.length === 0),
        `${a.alert}: no silent case`,
      );
    }
    // promtool compares annotations too; they hold rendered templates ({{ $value }}), which
    // `promtool check rules` parses. The unit tests check expressions, `for` and labels.
    const { groups } = await readYaml<{ groups: Groups }>(RULES_FILE);
    const stripped = groups.map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations: _, ...rest }) => rest),
    }));
    await writeFile(path.join(tmp, 'alpaca-forwarder.rules.yaml'), stringify({ groups: stripped }));
    await copyFile(PROMTOOL_TESTS, path.join(tmp, 'alerts.promtool.yaml'));
    const result = await run(promtool, ['test', 'rules', path.join(tmp, 'alerts.promtool.yaml')]);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /SUCCESS/);
  });
});
