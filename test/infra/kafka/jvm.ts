/**
 * Runs Java main classes from the cached classpath: a one-shot tool (StorageTool format) and the
 * long-running broker, whose stdout+stderr go to a log file and which is stopped by its pid only
 * (SIGTERM, then SIGKILL after a bound).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface JvmOptions {
  classpath: string;
  log4jConfig: string;
  heap?: { min: string; max: string };
}

function jvmArgs(o: JvmOptions): string[] {
  return [
    `-Xms${o.heap?.min ?? '128m'}`,
    `-Xmx${o.heap?.max ?? '512m'}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${o.log4jConfig}`,
    '-cp',
    o.classpath,
  ];
}

export async function runJavaTool(o: JvmOptions, mainClass: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(
      'java',
      [...jvmArgs({ ...o, heap: { min: '32m', max: '256m' } }), mainClass, ...args],
      {
        maxBuffer: 8 * 1024 * 1024,
      },
    );
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${mainClass} ${args[0] ?? ''} failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`,
    );
  }
}

export interface JvmProcess {
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal) when the JVM exits, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  stop(graceMs?: number): Promise<void>;
}

/** Children still running when this Node process exits are killed, so no JVM outlives a test run. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

export function spawnJvm(o: JvmOptions, mainClass: string, args: string[], logFile: string): JvmProcess {
  installExitHook();
  const fd = openSync(logFile, 'a');
  const child = spawn('java', [...jvmArgs(o), mainClass, ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start java ${mainClass} (is java on PATH?)`);
  live.add(child);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const pid = child.pid;
  return {
    pid,
    logFile,
    exited,
    hasExited: () => done,
    async stop(graceMs = 20_000) {
      if (done) return;
      process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const first = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (first === 'timeout' && !done) {
        process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

export async function logTail(logFile: string, lines = 40): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(log file unreadable)';
  }
}
