/**
 * The Prometheus Operator's PodMonitor and PrometheusRule CRDs, for tests that need a test API
 * server to serve them (config/monitoring, the operator's PodMonitor child). Generated from the
 * Prometheus Operator's own API types (Go module
 * github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring) by controller-gen, as
 * that project generates them, into `$PROJECT_CACHE/go-tools/monitoring-crds-<version>/`, once.
 */
import { access, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withBuildLock } from '../kube/build/build-lock.ts';
import { projectCache } from '../kube/cache-paths.ts';
import { runCommand } from '../kube/run-command.ts';
import { ensureGoTool, type GoTool, type Log } from './go-install.ts';

export const MONITORING_API = {
  module: 'github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring',
  version: 'v0.95.2',
};

export const CONTROLLER_GEN: GoTool = {
  name: 'controller-gen',
  pkg: 'sigs.k8s.io/controller-tools/cmd/controller-gen',
  version: 'v0.23.0',
};

/** The CRD files the tests install, by controller-gen's naming (`<group>_<plural>.yaml`). */
export const MONITORING_CRD_FILES = [
  'monitoring.coreos.com_podmonitors.yaml',
  'monitoring.coreos.com_prometheusrules.yaml',
] as const;

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(projectCache(env), 'go-tools', `monitoring-crds-${MONITORING_API.version}`);
}

async function complete(dir: string): Promise<boolean> {
  try {
    await Promise.all(MONITORING_CRD_FILES.map((f) => access(path.join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

/** Paths of the PodMonitor and PrometheusRule CRD files, generated on the first call. */
export async function ensureMonitoringCrds(log: Log): Promise<string[]> {
  const dir = cacheDir();
  const paths = MONITORING_CRD_FILES.map((f) => path.join(dir, f));
  if (await complete(dir)) return paths;
  const controllerGen = await ensureGoTool(CONTROLLER_GEN, log);
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  return withBuildLock(
    `${dir}.lock`,
    async () => {
      if (await complete(dir)) return paths;
      const scratch = await mkdtemp(path.join(parent, `monitoring-crds-build-${process.pid}-`));
      try {
        log(
          `generating the PodMonitor and PrometheusRule CRDs from ${MONITORING_API.module}@${MONITORING_API.version}`,
        );
        const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
        await writeFile(
          path.join(scratch, 'go.mod'),
          `module example.invalid/monitoring-crds\n\ngo 1.24.0\n\nrequire ${MONITORING_API.module} ${MONITORING_API.version}\n`,
        );
        await writeFile(
          path.join(scratch, 'tools.go'),
          `//go:build tools\n\npackage tools\n\nimport _ "${MONITORING_API.module}/v1"\n`,
        );
        const onStderrLine = (l: string) => log(`monitoring-crds: ${l}`);
        await runCommand('go', ['mod', 'tidy'], { cwd: scratch, env, onStderrLine });
        await runCommand(
          'nice',
          [
            '-n',
            '10',
            controllerGen,
            'crd:crdVersions=v1,maxDescLen=0',
            `paths=${MONITORING_API.module}/v1`,
            'output:crd:dir=crds',
          ],
          { cwd: scratch, env, onStderrLine },
        );
        const made = await readdir(path.join(scratch, 'crds'));
        for (const f of MONITORING_CRD_FILES) {
          if (!made.includes(f)) throw new Error(`controller-gen wrote no ${f} (wrote ${made.join(', ')})`);
        }
        await rm(dir, { recursive: true, force: true });
        await rename(path.join(scratch, 'crds'), dir);
        return paths;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    (pid) => log(`another process (pid ${pid}) is generating the monitoring CRDs; waiting for it`),
  );
}
