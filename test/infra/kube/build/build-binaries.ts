/**
 * Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy into the cache
 * (`$PROJECT_CACHE/kube/<version>/bin`), once per version. The build runs in a scratch directory
 * next to the cache entry and is renamed into place only when complete, so an interrupted build
 * never leaves a half binary behind. A warm cache returns at once without touching Go.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BINARIES, type CacheLayout, cacheLayout } from '../cache-paths.ts';
import { runCommand } from '../run-command.ts';
import { KUBE_VERSION } from '../versions.ts';
import { processAlive, withBuildLock } from './build-lock.ts';
import {
  ETCD_LDFLAGS,
  ETCD_MODULE,
  etcdVersionFromDependencies,
  etcdWrapperGoMod,
  type GoModJson,
  KUBE_COMMANDS,
  kubeLdflags,
  kubeWrapperGoMod,
  toolsGo,
} from './go-wrapper.ts';
import { type BuildStamp, RECIPE, validCache } from './stamp.ts';

export type Log = (line: string) => void;

interface ModuleDownload {
  GoMod: string;
  Dir: string;
  Info: string;
  Error?: string;
}

/** Environment for every go command: module mode, no cgo (as the official builds), niced by the caller. */
function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
}

/** `go build -v` prints one package path per line; summarise those, pass everything else through. */
function progressSink(label: string, log: Log): (line: string) => void {
  let packages = 0;
  return (line) => {
    if (/^[\w.~-]+(\/[\w.~+-]+)*$/.test(line)) {
      packages += 1;
      if (packages % 200 === 0) log(`${label}: ${packages} packages compiled (now ${line})`);
      return;
    }
    log(`${label}: ${line}`);
  };
}

/**
 * `go mod tidy` records the staging modules at the release tag, so -trimpath names them
 * `module@v0.34.4` (not `@v0.0.0`): the build cache then matches across wrapper directories.
 */
async function goModTidy(dir: string, label: string, log: Log): Promise<void> {
  log(`${label}: go mod tidy (downloads the module graph on the first run)`);
  await runCommand('go', ['mod', 'tidy'], {
    cwd: dir,
    env: goEnv(),
    onStderrLine: (l) => log(`${label}: ${l}`),
  });
}

async function goBuild(
  dir: string,
  output: string,
  packages: readonly string[],
  ldflags: string,
  label: string,
  log: Log,
) {
  const started = Date.now();
  log(`${label}: go build ${packages.join(' ')} (nice; the first build takes many minutes on 2 cores)`);
  await runCommand(
    'nice',
    ['-n', '10', 'go', 'build', '-v', '-trimpath', `-ldflags=${ldflags}`, '-o', output, ...packages],
    {
      cwd: dir,
      env: goEnv(),
      onStderrLine: progressSink(label, log),
    },
  );
  log(`${label}: built in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function buildInto(
  work: string,
  kubeVersion: string,
  log: Log,
): Promise<Omit<BuildStamp, 'builtAt' | 'buildSeconds'>> {
  log(`downloading k8s.io/kubernetes@v${kubeVersion} metadata from the Go module proxy`);
  const dl = JSON.parse(
    await runCommand('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${kubeVersion}`], {
      cwd: work,
      env: goEnv(),
    }),
  ) as ModuleDownload;
  if (dl.Error) throw new Error(`go mod download k8s.io/kubernetes@v${kubeVersion}: ${dl.Error}`);
  const goMod = JSON.parse(
    await runCommand('go', ['mod', 'edit', '-json', dl.GoMod], { cwd: work }),
  ) as GoModJson;
  const etcdVersion = etcdVersionFromDependencies(
    await readFile(path.join(dl.Dir, 'build', 'dependencies.yaml'), 'utf8'),
  );
  const info = JSON.parse(await readFile(dl.Info, 'utf8')) as { Time?: string };
  const buildDate = info.Time ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const goVersion = (await runCommand('go', ['env', 'GOVERSION'], { cwd: work })).trim();

  const bin = path.join(work, 'bin');
  const kubeDir = path.join(work, 'kube');
  const etcdDir = path.join(work, 'etcd');
  await Promise.all([mkdir(bin), mkdir(kubeDir), mkdir(etcdDir)]);
  await writeFile(path.join(kubeDir, 'go.mod'), kubeWrapperGoMod(goMod, kubeVersion));
  await writeFile(path.join(kubeDir, 'tools.go'), toolsGo(KUBE_COMMANDS));
  await writeFile(path.join(etcdDir, 'go.mod'), etcdWrapperGoMod(etcdVersion, goMod.Go ?? '1.24.0'));
  await writeFile(path.join(etcdDir, 'tools.go'), toolsGo([ETCD_MODULE]));

  await goModTidy(kubeDir, `kube v${kubeVersion}`, log);
  await goBuild(
    kubeDir,
    `${bin}/`,
    KUBE_COMMANDS,
    kubeLdflags(kubeVersion, buildDate),
    `kube v${kubeVersion}`,
    log,
  );
  await goModTidy(etcdDir, `etcd v${etcdVersion}`, log);
  await goBuild(etcdDir, path.join(bin, 'etcd'), [ETCD_MODULE], ETCD_LDFLAGS, `etcd v${etcdVersion}`, log);
  return { kubeVersion, etcdVersion, goVersion, recipe: RECIPE };
}

/** Moves a finished build into place; if another build won the race, keeps theirs. */
async function publish(work: string, layout: CacheLayout, kubeVersion: string): Promise<void> {
  const fresh = path.join(work, 'bin');
  const old = path.join(work, 'previous-bin');
  await rename(layout.binDir, old).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  try {
    await rename(fresh, layout.binDir);
  } catch (err) {
    if ((await validCache(layout, kubeVersion)) === undefined) throw err;
  }
}

/** Ensures the binaries for `kubeVersion` are in the cache; returns the layout and the stamp. */
export async function ensureBinaries(
  log: Log,
  kubeVersion: string = KUBE_VERSION,
): Promise<{ layout: CacheLayout; stamp: BuildStamp; built: boolean }> {
  const layout = cacheLayout(kubeVersion);
  const cached = await validCache(layout, kubeVersion);
  if (cached) return { layout, stamp: cached, built: false };

  await mkdir(layout.versionDir, { recursive: true });
  return withBuildLock(
    path.join(layout.versionDir, 'build.lock'),
    async () => {
      const again = await validCache(layout, kubeVersion);
      if (again) return { layout, stamp: again, built: false };
      return build(layout, kubeVersion, log);
    },
    (pid) => log(`another process (pid ${pid}) is building the control-plane binaries; waiting for it`),
  );
}

async function build(
  layout: CacheLayout,
  kubeVersion: string,
  log: Log,
): Promise<{ layout: CacheLayout; stamp: BuildStamp; built: boolean }> {
  await removeAbandonedScratch(layout.versionDir);
  const work = await mkdtemp(path.join(layout.versionDir, `build-${process.pid}-`));
  const started = Date.now();
  try {
    log(
      `building ${BINARIES.join(', ')} for Kubernetes v${kubeVersion} into ${layout.binDir} (scratch ${work})`,
    );
    const built = await buildInto(work, kubeVersion, log);
    const stamp: BuildStamp = {
      ...built,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(path.join(work, 'bin', 'stamp.json'), `${JSON.stringify(stamp, null, 2)}\n`);
    await publish(work, layout, kubeVersion);
    log(`control-plane binaries ready in ${stamp.buildSeconds} s: ${layout.binDir}`);
    return { layout, stamp, built: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Scratch directories (`build-<pid>-*`) left by builds whose process was killed. */
async function removeAbandonedScratch(versionDir: string): Promise<void> {
  for (const name of await readdir(versionDir)) {
    const pid = /^build-(\d+)-/.exec(name)?.[1];
    if (pid && !processAlive(Number(pid)))
      await rm(path.join(versionDir, name), { recursive: true, force: true });
  }
}
