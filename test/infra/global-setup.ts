/**
 * node --test global setup: starts the real Kafka broker and the real control plane once per run
 * and hands their connection settings to every test file through environment variables (child
 * test processes inherit them). Teardown stops them by pid.
 */
import { startKafka } from './kafka/index.ts';
import { startControlPlane } from './kube/index.ts';
import { selectedInfra } from './selection.ts';

interface Running {
  env(): Record<string, string>;
  stop(): Promise<void>;
}

const running: Running[] = [];

export async function globalSetup(): Promise<void> {
  const parts = selectedInfra();
  const starts: Promise<Running>[] = [];
  if (parts.has('kafka')) starts.push(startKafka());
  if (parts.has('kube')) starts.push(startControlPlane());
  const results = await Promise.allSettled(starts);
  for (const r of results) if (r.status === 'fulfilled') running.push(r.value);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await globalTeardown();
    throw new AggregateError(
      failed.map((f) => f.reason),
      `test infrastructure failed to start: ${failed.map((f) => String(f.reason?.message ?? f.reason)).join('; ')}`,
    );
  }
  for (const r of running) Object.assign(process.env, r.env());
}

export async function globalTeardown(): Promise<void> {
  await Promise.allSettled(running.splice(0).map((r) => r.stop()));
}
