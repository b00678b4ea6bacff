/**
 * Argo CD's Application CRD, for the kubeconform test (config/argocd/ ships an Application). Taken
 * as Argo CD ships it, `manifests/crds/application-crd.yaml` of the Go module
 * github.com/argoproj/argo-cd/v2 from the Go module proxy (`go mod download`: the module zip, no
 * build), copied to `$PROJECT_CACHE/go-tools/argocd-crds-<version>/`, once.
 */
import { access, copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { withBuildLock } from '../kube/build/build-lock.ts';
import { projectCache } from '../kube/cache-paths.ts';
import { runCommand } from '../kube/run-command.ts';
import type { Log } from './go-install.ts';

/** The newest v2 the proxy serves that builds on the machine's Go (v3 needs Go 1.27). */
export const ARGOCD_MODULE = { module: 'github.com/argoproj/argo-cd/v2', version: 'v2.14.21' };
const CRD_IN_MODULE = 'manifests/crds/application-crd.yaml';
const FILE = 'application-crd.yaml';

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(projectCache(env), 'go-tools', `argocd-crds-${ARGOCD_MODULE.version}`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Path of Argo CD's Application CRD file, fetched on the first call. */
export async function ensureArgoCdApplicationCrd(log: Log): Promise<string> {
  const dir = cacheDir();
  const file = path.join(dir, FILE);
  if (await exists(file)) return file;
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  return withBuildLock(
    `${dir}.lock`,
    async () => {
      if (await exists(file)) return file;
      const scratch = await mkdtemp(path.join(parent, `argocd-crds-${process.pid}-`));
      try {
        log(`fetching Argo CD's Application CRD from ${ARGOCD_MODULE.module}@${ARGOCD_MODULE.version}`);
        // A private module cache: only the one zip, removed afterwards (it is 37 MB).
        const env = { ...process.env, GOMODCACHE: path.join(scratch, 'mod'), GOFLAGS: '-modcacherw' };
        const out = await runCommand(
          'go',
          ['mod', 'download', '-json', `${ARGOCD_MODULE.module}@${ARGOCD_MODULE.version}`],
          { cwd: scratch, env, onStderrLine: (l) => log(`argocd-crds: ${l}`) },
        );
        const { Dir } = JSON.parse(out) as { Dir?: string };
        if (Dir === undefined) throw new Error(`go mod download named no directory: ${out.slice(0, 200)}`);
        await mkdir(path.join(scratch, 'out'));
        await copyFile(path.join(Dir, CRD_IN_MODULE), path.join(scratch, 'out', FILE));
        await rm(dir, { recursive: true, force: true });
        await rename(path.join(scratch, 'out'), dir);
        return file;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    (pid) => log(`another process (pid ${pid}) is fetching Argo CD's CRD; waiting for it`),
  );
}
