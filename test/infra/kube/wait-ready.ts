/**
 * Waits until a process's health endpoint answers 200, failing early (with the process's log) if
 * the process exits first, and after a bound otherwise. Startup polling of a process we just
 * spawned has no event to await; tests themselves wait by watching (see k8s-helpers.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { httpGet, type ProbeTls } from './http-probe.ts';
import { describeExit, type SupervisedProcess } from './supervised-process.ts';

export interface ReadyOptions {
  url: string;
  tls?: ProbeTls;
  timeoutMs?: number;
  intervalMs?: number;
}

export async function waitReady(proc: SupervisedProcess, options: ReadyOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  let exit: string | undefined;
  void proc.exited.then((e) => {
    exit = describeExit(e);
  });
  while (Date.now() < deadline) {
    if (exit) throw proc.failure(`${exit} before ${options.url} was ready`);
    try {
      const res = await httpGet(options.url, options.tls, 5_000);
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${res.body.slice(0, 500)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await delay(options.intervalMs ?? 150);
  }
  if (exit) throw proc.failure(`${exit} before ${options.url} was ready`);
  throw proc.failure(`was not ready at ${options.url} within ${timeoutMs} ms (last: ${last})`);
}
