/**
 * Runs a reconcile plan (reconcile-plan.ts, reconcile-finish.ts): each action in list order
 * against the Kubernetes client, the probe scheduler and the Event recorder. Every write first
 * checks the abort signal (a process that lost leadership stops at once); any error stops the
 * run there and goes to the reconcile's caller (reconcile.ts), which tells a resource deleted in
 * flight from a real failure.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AlpacaForwarderStatus } from '../api/types.ts';
import type { ChildObject } from '../desired/children.ts';
import { ALPACA_FORWARDER, DEPLOYMENT, NETWORK_POLICY } from '../kube/resources.ts';
import type { ReconcilerDeps } from './reconcile.ts';
import type { ReconcileScope } from './reconcile-observe.ts';
import type { ReconcileAction } from './reconcile-plan.ts';

/** What the actions run against. */
export type ExecutionDeps = Pick<
  ReconcilerDeps,
  'client' | 'probes' | 'recorder' | 'metrics' | 'secretInputs' | 'topics'
>;

export interface ExecutionContext extends ReconcileScope {
  deps: ExecutionDeps;
  signal: AbortSignal;
  log: Logger;
}

/** What running the actions learned. */
export interface ExecutionState {
  /** The Deployment as the API server returned it (or the cache holds it). */
  deployment?: V1Deployment | undefined;
  restarted: boolean;
  requeueAfterMs?: number | undefined;
}

export async function execute(
  ctx: ExecutionContext,
  actions: readonly ReconcileAction[],
  state: ExecutionState,
): Promise<void> {
  for (const action of actions) await run(ctx, action, state);
}

async function run(ctx: ExecutionContext, a: ReconcileAction, state: ExecutionState): Promise<void> {
  const { deps, key, namespace, signal } = ctx;
  switch (a.do) {
    case 'forget':
      deps.secretInputs?.forget(key);
      deps.topics?.forget(key);
      ctx.log.debug('resource gone or being deleted; garbage collection removes the children');
      return;
    case 'skip':
      deps.metrics.childApplies.inc({ kind: a.kind, result: 'unchanged' });
      if (a.kind === 'Deployment') state.deployment = a.cached as V1Deployment;
      return;
    case 'apply':
      await Promise.all(a.objects.map((obj) => applyChild(ctx, obj, state)));
      return;
    case 'delete':
      signal.throwIfAborted();
      await deps.client.delete(NETWORK_POLICY, namespace, a.name);
      return;
    case 'readDeployment':
      state.deployment = await deps.client.get<V1Deployment & KubernetesObject>(
        DEPLOYMENT,
        namespace,
        a.name,
      );
      return;
    case 'track':
      deps.probes.track(key, a.target, a.intervalMs);
      return;
    case 'untrack':
      deps.probes.untrack(key);
      return;
    case 'writeStatus':
      return writeStatus(ctx, a.status);
    case 'restart':
      return restart(ctx, a, state);
    case 'event':
      return deps.recorder.record(a.target, a.event);
    case 'requeue':
      state.requeueAfterMs = a.afterMs;
      return;
  }
}

async function applyChild(
  ctx: ExecutionContext,
  obj: ChildObject & KubernetesObject,
  state: ExecutionState,
): Promise<void> {
  ctx.signal.throwIfAborted();
  const applied = await ctx.deps.client.apply<ChildObject & KubernetesObject>(obj);
  ctx.deps.metrics.childApplies.inc({ kind: obj.kind ?? '', result: 'applied' });
  if (applied.kind === 'Deployment' || obj.kind === 'Deployment') state.deployment = applied as V1Deployment;
}

async function writeStatus(ctx: ExecutionContext, status: AlpacaForwarderStatus): Promise<void> {
  ctx.signal.throwIfAborted();
  await ctx.deps.client.applyStatus(ALPACA_FORWARDER, ctx.namespace, ctx.name, status);
  ctx.log.info(
    { ready: status.conditions?.find((c) => c.type === 'Ready')?.reason, error_class: status.errorClass },
    'status updated',
  );
}

async function restart(
  ctx: ExecutionContext,
  a: Extract<ReconcileAction, { do: 'restart' }>,
  state: ExecutionState,
): Promise<void> {
  ctx.signal.throwIfAborted();
  await ctx.deps.client.apply(a.deployment);
  ctx.deps.metrics.restartsTriggered.inc({ namespace: ctx.namespace, name: ctx.name });
  state.restarted = true;
  ctx.log.warn(
    { restarted_at: a.restartedAt, reason: a.reason },
    'forwarder pod restarted by the 406 policy',
  );
}
