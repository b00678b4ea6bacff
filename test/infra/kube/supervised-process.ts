/**
 * One long-running child process of the control plane: stdout and stderr go to a log file, its
 * exit is observable, and stop() sends SIGTERM then SIGKILL after a bound. Every child still alive
 * when this Node process exits is SIGKILLed, and where util-linux `setpriv` exists the child is
 * started with a parent-death signal, so even a SIGKILLed test runner leaves no strays behind.
 * Failures name the process and its log, with the log's tail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  stop(graceMs?: number): Promise<Exit>;
  /** An Error naming this process, what went wrong, its log file and the log's last lines. */
  failure(what: string): Error;
}

export interface StartSpec {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(log not readable)';
  }
}

export function describeExit(exit: Exit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

const SETPRIV = '/usr/bin/setpriv';

/** The command line to spawn: through `setpriv --pdeathsig SIGKILL` (it execs, keeping the pid) if available. */
export function withParentDeathSignal(
  command: string,
  args: readonly string[],
  setprivAvailable = existsSync(SETPRIV),
): { command: string; args: string[] } {
  if (!setprivAvailable) return { command, args: [...args] };
  return { command: SETPRIV, args: ['--pdeathsig', 'SIGKILL', '--', command, ...args] };
}

export function startProcess(spec: StartSpec): Promise<SupervisedProcess> {
  installExitHook();
  const line = withParentDeathSignal(spec.command, spec.args);
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(line.command, line.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  return new Promise((resolve, reject) => {
    child.once('error', (err) =>
      reject(new Error(`${spec.name}: could not start ${spec.command}: ${err.message}`)),
    );
    child.once('spawn', () => {
      live.add(child);
      let exitInfo: Exit | undefined;
      const exited = new Promise<Exit>((done) => {
        child.once('exit', (code, signal) => {
          live.delete(child);
          exitInfo = { code, signal };
          done(exitInfo);
        });
      });
      const failure = (what: string) =>
        new Error(
          `${spec.name} (pid ${child.pid}) ${what}; its log is ${spec.logFile}. Last lines:\n${logTail(spec.logFile)}`,
        );
      resolve({
        name: spec.name,
        pid: child.pid as number,
        logFile: spec.logFile,
        exited,
        isRunning: () => exitInfo === undefined,
        failure,
        async stop(graceMs = 15_000) {
          if (exitInfo) return exitInfo;
          child.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const killed = new Promise<void>((done) => {
            timer = setTimeout(() => {
              child.kill('SIGKILL');
              done();
            }, graceMs);
          });
          await Promise.race([exited, killed]);
          clearTimeout(timer);
          return exited;
        },
      });
    });
  });
}
