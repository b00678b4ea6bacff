/**
 * How the demo (scripts/demo.ts) prints while it runs and how it ends: a status poller that never
 * overlaps itself and can be stopped (waiting for the run in flight), and a shutdown that runs
 * once however often it is asked for (SIGINT, the exit condition met by several callbacks), stops
 * the printers before it says `stopping`, and exits only after its last line has been handed to
 * the OS (a line written just before process.exit is not guaranteed to reach a pipe).
 */
import type { Writable } from 'node:stream';

export interface Poller {
  /** Cancels the next run and resolves once the run in flight (if any) has ended. */
  stop(): Promise<void>;
}

/** Runs `task` every `intervalMs`, one run at a time (the next is scheduled when the last ends). */
export function startPoller(task: () => Promise<void>, intervalMs: number): Poller {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const tick = (): void => {
    if (stopped) return;
    inFlight = task()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/** Resolves once everything written to `out` so far has been flushed (or the stream failed). */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (out.destroyed || out.writableEnded) resolve();
    else out.write('', () => resolve());
  });
}

export interface ShutdownSteps {
  out: Writable;
  /** Stops everything that prints on its own (status pollers, sample printers). */
  quiet(): Promise<void>;
  /** Stops the system; runs after the `stopping` line. */
  stop(): Promise<void>;
  stoppingLine: string;
  exit?: (code: number) => void;
}

/**
 * Returns `shutdown(code)`: the first call quiets the printers, writes `stoppingLine`, stops the
 * system, writes `stopped`, waits for stdout to drain and exits with its code (1 if stopping
 * failed); every later call returns the same promise (it never exits early while the first is
 * still stopping things).
 */
export function createShutdown(steps: ShutdownSteps): (code: number) => Promise<void> {
  const exit = steps.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  return (code) => {
    running ??= (async () => {
      await steps.quiet().catch(() => undefined);
      steps.out.write(`${steps.stoppingLine}\n`);
      let failed = false;
      await steps.stop().catch((err: unknown) => {
        failed = true;
        steps.out.write(`stop failed: ${err instanceof Error ? err.message : String(err)}\n`);
      });
      steps.out.write('stopped\n');
      await drained(steps.out);
      exit(failed && code === 0 ? 1 : code);
    })();
    return running;
  };
}
