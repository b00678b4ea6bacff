/**
 * A real Prometheus (Debian's `prometheus` package, installed by scripts/lib/ensure-tools.sh) for
 * tests and the demo: loopback only, a free port, a temporary data directory, scrape and rule
 * evaluation every second, static targets, the project's alert rules. Its HTTP API is wrapped for
 * instant queries and the alert list. The package's own service is never used.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from '../pod-runner/free-port.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  labels?: Record<string, string>;
  /** Keep the scraped series' own labels (the operator's per-resource namespace/name). */
  honorLabels?: boolean;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /**
   * Targets that come and go (pods): asked every `discoverEveryMs` (2 s) and written to a
   * file_sd file Prometheus re-reads, under job `discovered.job`.
   */
  discovered?: { job: string; targets: () => Array<{ address: string; labels: Record<string, string> }> };
  discoverEveryMs?: number;
  /** Rule file texts (written into the data directory). */
  rules?: string[];
  scrapeInterval?: string;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<Sample[]>;
  alerts(): Promise<ActiveAlert[]>;
  /** Log lines of the process (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Absolute path of the prometheus binary, installing the Debian package when missing. */
export async function prometheusBinary(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [
    path.join(ROOT, 'scripts/lib/ensure-tools.sh'),
    'prometheus',
  ]);
  const bin = stdout.trim();
  if (bin === '') throw new Error('scripts/lib/ensure-tools.sh found no prometheus binary');
  return bin;
}

function configText(o: PrometheusOptions, ruleFiles: string[], sdFile: string): string {
  const interval = o.scrapeInterval ?? '1s';
  const scrapeConfigs: Array<Record<string, unknown>> = o.targets.map((t) => ({
    job_name: t.job,
    honor_labels: t.honorLabels ?? false,
    static_configs: [{ targets: [t.address], labels: t.labels ?? {} }],
  }));
  if (o.discovered) {
    scrapeConfigs.push({
      job_name: o.discovered.job,
      file_sd_configs: [{ files: [sdFile], refresh_interval: '5s' }],
    });
  }
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: ruleFiles,
    scrape_configs: scrapeConfigs,
  });
}

/** Writes the file_sd file atomically (Prometheus may read it at any moment). */
async function writeTargets(
  file: string,
  targets: Array<{ address: string; labels: Record<string, string> }>,
): Promise<void> {
  const text = JSON.stringify(targets.map((t) => ({ targets: [t.address], labels: t.labels })));
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const bin = await prometheusBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prometheus-'));
  const ruleFiles: string[] = [];
  for (const [i, text] of (o.rules ?? []).entries()) {
    const file = path.join(dir, `rules-${i}.yaml`);
    await writeFile(file, text);
    ruleFiles.push(file);
  }
  const configFile = path.join(dir, 'prometheus.yml');
  const sdFile = path.join(dir, 'discovered.json');
  await writeFile(configFile, configText(o, ruleFiles, sdFile));
  let discovery: NodeJS.Timeout | undefined;
  if (o.discovered) {
    const { targets } = o.discovered;
    await writeTargets(sdFile, targets());
    discovery = setInterval(
      () => void writeTargets(sdFile, targets()).catch(() => undefined),
      o.discoverEveryMs ?? 2000,
    );
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  proc.stderr?.on('data', (d: Buffer) => {
    lines.push(...String(d).split('\n').filter(Boolean));
    if (lines.length > 500) lines.splice(0, lines.length - 500);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const stop = async (): Promise<void> => {
    clearInterval(discovery);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Ready when /-/ready answers 200; the process exiting first is an error with its log.
  const ready = (async () => {
    for (;;) {
      const ok = await fetch(`${url}/-/ready`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const code = await Promise.race([ready.then(() => 'ready' as const), exited]);
  if (code !== 'ready') {
    await stop();
    throw new Error(`prometheus exited (${code}) before it was ready:\n${lines.join('\n')}`);
  }

  async function api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${url}${pathAndQuery}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery}: ${body.error}`);
    return body.data;
  }

  return {
    url,
    query: async (expr) =>
      (await api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts,
    log: () => lines.join('\n'),
    stop,
  };
}
