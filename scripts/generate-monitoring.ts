/**
 * Writes the monitoring files of config/monitoring/ from scripts/monitoring/:
 *   rules/alpaca-forwarder.rules.yaml   plain Prometheus rule file (rule_files:)
 *   prometheusrule.yaml                 the same groups as a monitoring.coreos.com/v1 PrometheusRule
 *   dashboards/*.json                   Grafana dashboards
 *   node scripts/generate-monitoring.ts            write them
 *   node scripts/generate-monitoring.ts --check    exit 1 when one is stale (used by a test)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ruleGroups } from './monitoring/alerts.ts';
import { DASHBOARDS, grafanaJson } from './monitoring/dashboards.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HEADER =
  '# Generated from scripts/monitoring/alerts.ts by scripts/generate-monitoring.ts; do not edit.\n';

export const RULES_FILE = 'config/monitoring/rules/alpaca-forwarder.rules.yaml';
export const PROMETHEUS_RULE_FILE = 'config/monitoring/prometheusrule.yaml';

/** The plain rule file's text; `forOverride` is for the Prometheus integration test. */
export function rulesFileText(options: { forOverride?: string } = {}): string {
  return HEADER + stringify({ groups: ruleGroups(options) }, { lineWidth: 0 });
}

export function outputs(): Map<string, string> {
  const out = new Map<string, string>();
  out.set(RULES_FILE, rulesFileText());
  out.set(
    PROMETHEUS_RULE_FILE,
    HEADER +
      stringify(
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: {
            name: 'alpaca-forwarder',
            namespace: 'alpaca-forwarder-system',
            labels: {
              'app.kubernetes.io/name': 'alpaca-forwarder-operator',
              'app.kubernetes.io/part-of': 'torghut',
            },
          },
          spec: { groups: ruleGroups() },
        },
        { lineWidth: 0 },
      ),
  );
  for (const d of DASHBOARDS) {
    out.set(`config/monitoring/dashboards/${d.file}`, `${JSON.stringify(grafanaJson(d), null, 2)}\n`);
  }
  return out;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [file, want] of outputs()) {
    const path = resolve(ROOT, file);
    const have = await readFile(path, 'utf8').catch(() => null);
    if (have === want) continue;
    if (check) stale.push(file);
    else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, want);
    }
  }
  if (stale.length > 0) {
    console.error(`stale monitoring files (run node scripts/generate-monitoring.ts): ${stale.join(', ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
