/**
 * One running container: spawns the planned process, writes its volumes, restarts it with
 * backoff when it exits on its own (restartPolicy Always), stops it with SIGTERM then SIGKILL
 * after the pod's grace period, and probes its readiness endpoint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomicVolume } from './atomic-volume.ts';
import type { ProcessPlan } from './pod-process.ts';

export interface ExitRecord {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
}

export class PodProcessHandle {
  readonly plan: ProcessPlan;
  readonly logPath: string;
  /**
   * The container's own empty HOME: the host's would leak ~/.kube/config, which
   * KubeConfig.loadFromDefault() prefers over the pod's service-account credentials.
   */
  readonly homeDir: string;
  readonly startedAt = new Date();
  restartCount = 0;
  lastExit: ExitRecord | undefined;
  ready = false;
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly onLine: ((line: string) => void) | undefined;
  private readonly onChange: () => void;
  private readonly volumeContent = new Map<string, string>();

  constructor(plan: ProcessPlan, podDir: string, onChange: () => void, onLine?: (line: string) => void) {
    this.plan = plan;
    this.logPath = path.join(podDir, 'container.log');
    this.homeDir = path.join(podDir, 'home');
    this.onChange = onChange;
    this.onLine = onLine;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    await this.syncVolumes(this.plan.volumes);
    for (const m of this.plan.mounts) await mkdir(m.hostPath, { recursive: true });
    await mkdir(path.dirname(this.logPath), { recursive: true });
    await mkdir(this.homeDir, { recursive: true });
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    this.spawnChild();
  }

  /** Rewrites configMap/secret volumes whose content changed (the kubelet's periodic sync). */
  async syncVolumes(volumes: ProcessPlan['volumes']): Promise<boolean> {
    let changed = false;
    for (const [name, vol] of volumes) {
      const serialized = JSON.stringify(vol.files);
      if (this.volumeContent.get(name) === serialized) continue;
      if (vol.kind === 'emptyDir') await mkdir(vol.hostDir, { recursive: true });
      else await writeAtomicVolume(vol.hostDir, vol.files);
      this.volumeContent.set(name, serialized);
      changed = true;
    }
    return changed;
  }

  private spawnChild(): void {
    const [command, args] = withMounts(this.plan);
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', HOME: this.homeDir, ...this.plan.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.ready = false;
    const forward = (chunk: Buffer): void => {
      this.log?.write(chunk);
      if (this.onLine) for (const line of chunk.toString('utf8').split('\n')) if (line) this.onLine(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('error', (err) => {
      this.log?.write(`[pod-runner] spawn failed: ${err.message}\n`);
    });
    child.on('exit', (code, signal) => {
      this.lastExit = { code, signal, at: new Date() };
      this.ready = false;
      this.log?.write(`[pod-runner] container exited code=${code} signal=${signal}\n`);
      this.onChange();
      if (!this.stopping) {
        const delay = Math.min(10_000, 500 * 2 ** Math.min(this.restartCount, 5));
        this.restartTimer = setTimeout(() => {
          this.restartCount += 1;
          this.spawnChild();
          this.onChange();
        }, delay);
      }
    });
  }

  async probeReady(): Promise<boolean> {
    const r = this.plan.readiness;
    if (r === undefined) return this.running;
    if (!this.running) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${r.port}${r.path}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status >= 200 && res.status < 400;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.plan.terminationGraceSeconds * 1000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }
}

/**
 * Runs the container command in a private mount namespace (util-linux `unshare`, root) where each
 * volume is bind-mounted at its path in the pod, so the process sees exactly the files the pod
 * spec gives it (config file, CA, service-account token, /tmp) at the paths the operator rendered.
 * Every volume directory is opened first (fd 10, 11, ...) and bound from /proc/self/fd/N: a mount
 * over /tmp must not hide the host paths of the volumes bound after it (the runner's work
 * directory usually lives under /tmp). `unshare` execs bash, which execs the command: the pid is
 * the container's, and signals reach it.
 */
export function withMounts(plan: ProcessPlan): [string, string[]] {
  if (plan.mounts.length === 0) return [plan.command, plan.args];
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const fd = (i: number): number => 10 + i;
  // Host paths the command needs that a mount would hide (the repo under a /tmp emptyDir).
  // Every source is opened before the first mount and bound from its fd with --no-canonicalize:
  // otherwise mount(8) resolves /proc/self/fd/N to its path text, which after an earlier mount
  // may name a different directory (the one now mounted over it).
  const hidden = plan.hostPaths.filter((h) =>
    plan.mounts.some((m) => h === m.containerPath || h.startsWith(`${m.containerPath}/`)),
  );
  const sources = [...plan.mounts.map((m) => m.hostPath), ...hidden];
  const targets = [...plan.mounts.map((m) => m.containerPath), ...hidden];
  const open = sources.map((src, i) => `exec ${fd(i)}<${q(src)}`);
  const steps = targets.map(
    (dst, i) => `mkdir -p ${q(dst)} && mount --no-canonicalize --bind /proc/self/fd/${fd(i)} ${q(dst)}`,
  );
  const close = sources.map((_, i) => `exec ${fd(i)}<&-`);
  const script = `set -e; ${[...open, ...steps, ...close].join('; ')}; exec "$@"`;
  return [
    'unshare',
    ['--mount', '--propagation', 'private', '--', 'bash', '-c', script, 'bash', plan.command, ...plan.args],
  ];
}
