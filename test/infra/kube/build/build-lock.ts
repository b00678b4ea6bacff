/**
 * One build at a time per cache entry, across processes: several test runs preparing at once (other
 * engineers, CI steps) wait for the one building instead of each compiling Kubernetes. The lock is
 * a file created exclusively, holding the builder's pid; a lock whose pid is gone is stale.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(lockFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(lockFile, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` holding the lock. While another live process holds it, calls `onWait` (once) and
 * re-checks every `pollMs`; `work` runs after it is released (and should re-check the cache first).
 */
export async function withBuildLock<T>(
  lockFile: string,
  work: () => Promise<T>,
  onWait: (pid: number) => void,
  pollMs = 2_000,
): Promise<T> {
  let told = false;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = await holder(lockFile);
    if (pid === undefined || !processAlive(pid)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (!told) {
      onWait(pid);
      told = true;
    }
    await delay(pollMs);
  }
  try {
    return await work();
  } finally {
    await rm(lockFile, { force: true });
  }
}
