/**
 * The operator's Prometheus metrics (prom-client), in their own registry. Names are part of the
 * operator's contract with dashboards: alpaca_forwarder_operator_*.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KubeErrorKind } from './kube/errors.ts';

/** reconcile_errors_total kinds, exported at 0 so rate() and the alert see the first error. */
const ERROR_KINDS = [
  'NotFound',
  'Conflict',
  'Invalid',
  'Gone',
  'TooManyRequests',
  'Unauthorized',
  'Forbidden',
  'ServerError',
  'Network',
  'Aborted',
  'Other',
  'internal',
] as const satisfies ReadonlyArray<KubeErrorKind | 'internal'>;

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileErrors: Counter<'kind'>;
  reconcileDuration: Histogram<'result'>;
  queueDepth: Gauge;
  watchRestarts: Counter<'resource' | 'reason'>;
  restartsTriggered: Counter<'namespace' | 'name'>;
  leader: Gauge;
  /** Child server-side applies made or skipped because the cached child already matched. */
  childApplies: Counter<'kind' | 'result'>;
  /** Readiness probes by outcome (reported | no_endpoint | unreachable | timeout | bad_status | bad_body). */
  probes: Counter<'outcome'>;
  /** Seconds a due probe waited for a free slot of the probe pool. */
  probeLag: Histogram;
  /** Probes due and waiting for a slot. */
  probesWaiting: Gauge;
}

export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  const p = 'alpaca_forwarder_operator_';
  const reconcileErrors = new Counter({
    name: `${p}reconcile_errors_total`,
    help: 'Reconcile errors by kind (KubeError kind or internal)',
    labelNames: ['kind'],
    registers: [registry],
  });
  for (const kind of ERROR_KINDS) reconcileErrors.inc({ kind }, 0);
  return {
    registry,
    reconcileErrors,
    reconciles: new Counter({
      name: `${p}reconciles_total`,
      help: 'Reconciles by result (success, requeue, error)',
      labelNames: ['result'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: `${p}reconcile_duration_seconds`,
      help: 'Duration of one reconcile',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: `${p}queue_depth`,
      help: 'Keys waiting in the work queue',
      registers: [registry],
    }),
    watchRestarts: new Counter({
      name: `${p}watch_restarts_total`,
      help: 'Watch restarts by resource and reason (error, closed, gone, watchdog, resync, list_error)',
      labelNames: ['resource', 'reason'],
      registers: [registry],
    }),
    restartsTriggered: new Counter({
      name: `${p}restarts_triggered_total`,
      help: 'Forwarder pod restarts triggered by the 406 restart policy',
      labelNames: ['namespace', 'name'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: `${p}leader`,
      help: '1 while this process holds the leader Lease',
      registers: [registry],
    }),
    childApplies: new Counter({
      name: `${p}child_applies_total`,
      help: 'Child objects server-side applied (applied) or left alone because the cache matched (unchanged)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    probes: new Counter({
      name: `${p}probes_total`,
      help: 'Forwarder /readyz probes by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    probeLag: new Histogram({
      name: `${p}probe_lag_seconds`,
      help: 'How long a due probe waited for a free slot of the probe pool',
      buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    probesWaiting: new Gauge({
      name: `${p}probes_waiting`,
      help: 'Probes due and waiting for a free slot of the probe pool',
      registers: [registry],
    }),
  };
}
