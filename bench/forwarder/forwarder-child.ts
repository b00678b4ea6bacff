/** The real forwarder CLI (`node forwarder/main.ts`) as a child process, with its log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../forwarder/main.ts', import.meta.url));

export interface ForwarderChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the first stdout JSON log line matching; rejects if the child exits first. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** SIGTERM (clean close + Kafka flush), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** The last lines of stderr and stdout, for error messages. */
  tail(): string;
}

export function spawnForwarder(env: Record<string, string>): ForwarderChild {
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error('forwarder child did not start');
  const lines: string[] = [];
  const stderr: string[] = [];
  let waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += String(d);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      if (lines.length > 200) lines.shift();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const matched = waiters.filter((w) => w.pred(parsed));
      waiters = waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.resolve(parsed);
    }
  });
  proc.stderr?.on('data', (d: Buffer) => stderr.push(String(d)));
  const tail = (): string => [...stderr.slice(-20), ...lines.slice(-20)].join('\n');
  return {
    proc,
    pid: proc.pid,
    waitForLog(pred) {
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then((code) =>
          reject(new Error(`forwarder exited (${code}) before the log line:\n${tail()}`)),
        );
      });
    },
    async stop(graceMs = 20_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    tail,
  };
}
