/**
 * Command-line tools the tests run that are Go programs (kubeconform, controller-gen), built from
 * the Go module proxy with `go install PACKAGE@VERSION` into the cache outside the repo,
 * `$PROJECT_CACHE/go-tools/<name>-<version>/bin/<name>`, once per version: like the control-plane
 * binaries (test/infra/kube/build), the build goes to a scratch directory and is renamed into
 * place only when complete, and one build runs at a time (the same file lock).
 */
import { access, constants, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { withBuildLock } from '../kube/build/build-lock.ts';
import { projectCache } from '../kube/cache-paths.ts';
import { runCommand } from '../kube/run-command.ts';

export interface GoTool {
  /** Binary name, also the cache entry's name. */
  name: string;
  /** The main package, e.g. github.com/yannh/kubeconform/cmd/kubeconform. */
  pkg: string;
  /** Module version (a tag the Go module proxy serves). */
  version: string;
  /** Extra -ldflags (e.g. the version the program prints). */
  ldflags?: string;
}

export type Log = (line: string) => void;

export function goToolPath(tool: GoTool, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(projectCache(env), 'go-tools', `${tool.name}-${tool.version}`, 'bin', tool.name);
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tool's path, built first when the cache does not have it. */
export async function ensureGoTool(tool: GoTool, log: Log): Promise<string> {
  const binary = goToolPath(tool);
  if (await executable(binary)) return binary;
  const entry = path.dirname(path.dirname(binary));
  await mkdir(entry, { recursive: true });
  return withBuildLock(
    path.join(entry, 'build.lock'),
    async () => {
      if (await executable(binary)) return binary;
      const scratch = await mkdtemp(path.join(entry, `build-${process.pid}-`));
      try {
        const started = Date.now();
        log(`building ${tool.pkg}@${tool.version} from the Go module proxy into ${entry}`);
        await runCommand(
          'nice',
          [
            '-n',
            '10',
            'go',
            'install',
            '-trimpath',
            `-ldflags=-s -w${tool.ldflags ? ` ${tool.ldflags}` : ''}`,
            `${tool.pkg}@${tool.version}`,
          ],
          {
            cwd: scratch,
            env: { ...process.env, GOBIN: path.join(scratch, 'bin'), CGO_ENABLED: '0', GOFLAGS: '-mod=mod' },
            onStderrLine: (l) => log(`${tool.name}: ${l}`),
          },
        );
        await rm(path.dirname(binary), { recursive: true, force: true });
        await rename(path.join(scratch, 'bin'), path.dirname(binary));
        log(`${tool.name} ${tool.version} built in ${Math.round((Date.now() - started) / 1000)} s`);
        return binary;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
    (pid) => log(`another process (pid ${pid}) is building ${tool.name}; waiting for it`),
  );
}
