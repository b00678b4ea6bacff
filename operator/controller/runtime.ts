/**
 * Assembles the operator from its parts and runs it: watches, leader election (or immediate
 * leadership when disabled), the reconcile queue while leading, the HTTP endpoints, Events and
 * metrics. `stop()` is the graceful shutdown: stop electing new work, drain in-flight reconciles,
 * stop the watches, release the Lease, close the HTTP server. Used by main.ts and, in-process,
 * by the integration tests (which inject the probe transport and the kubeconfig).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { KubeClientConfig } from '../../lib/kube/kube-config.ts';
import { LeaseElector } from '../../lib/lease/elector.ts';
import { FIELD_MANAGER, STATUS_FIELD_MANAGER } from '../api/types.ts';
import { APP_NAME, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../desired/names.ts';
import { FORWARDER_POD, type OperatorSettings } from '../desired/settings.ts';
import { KubeClient } from '../kube/client.ts';
import { optionalKind } from '../kube/discovery.ts';
import { EventRecorder } from '../kube/events.ts';
import { operatorLeaseStore } from '../kube/lease-store.ts';
import { KAFKA_TOPIC, KAFKA_USER, POD_MONITOR } from '../kube/resources.ts';
import { asClock, realTimers, type Timers } from '../kube/timers.ts';
import { createOperatorMetrics, type OperatorMetrics } from '../metrics.ts';
import type { TopicAdminFactory } from '../topics/admin.ts';
import { TopicsEnsurer } from '../topics/ensurer.ts';
import { platformaticTopicAdmin } from '../topics/lazy-admin.ts';
import type { OperatorConfig } from './config.ts';
import { Controller } from './controller.ts';
import { startHttpServer } from './http-server.ts';
import { SecretInputsMemo } from './inputs.ts';
import { HttpReadinessProbe, podIpUrlResolver, type ReadinessProbe, serviceUrlResolver } from './probe.ts';
import { ProbeScheduler } from './probe-scheduler.ts';
import { makeReconciler, type ReconcileReport } from './reconcile.ts';

export const REPORTING_CONTROLLER = 'torghut.io/alpaca-forwarder-operator';

export interface StartOptions {
  config: OperatorConfig;
  /** Where the API server is and how to authenticate (lib/kube/kube-config.ts). */
  kubeConfig: KubeClientConfig;
  logger: Logger;
  /** Replaces the HTTP probe (tests point it at a loopback server). */
  probe?: ReadinessProbe;
  timers?: Timers;
  /** Queue retry backoff (tests shorten it). */
  queueBackoffBaseMs?: number;
  queueBackoffMaxMs?: number;
  watchBackoffBaseMs?: number;
  watchBackoffMaxMs?: number;
  onReconciled?: (e: ReconcileReport) => void;
  /** The Kafka Admin client of mode ensure (tests); @platformatic/kafka's otherwise. */
  topicAdmin?: TopicAdminFactory;
}

export interface RunningOperator {
  identity: string;
  httpPort: number;
  metrics: OperatorMetrics;
  isLeader(): boolean;
  /** Resolves when every watch has listed once. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

export function settingsFrom(config: OperatorConfig): OperatorSettings {
  return {
    operatorNamespace: config.OPERATOR_NAMESPACE,
    defaultImage: config.FORWARDER_IMAGE,
    imagePullPolicy: config.FORWARDER_IMAGE_PULL_POLICY,
    logLevel: config.FORWARDER_LOG_LEVEL,
    apiServerCidrs: config.API_SERVER_CIDRS,
    apiServerPorts: config.API_SERVER_PORTS,
  };
}

export async function startOperator(opts: StartOptions): Promise<RunningOperator> {
  const { config, logger } = opts;
  const timers = opts.timers ?? realTimers;
  const identity = config.POD_NAME ?? `${os.hostname()}-${randomUUID().slice(0, 8)}`;
  const metrics = createOperatorMetrics();
  const client = new KubeClient(opts.kubeConfig, { apply: FIELD_MANAGER, status: STATUS_FIELD_MANAGER });
  const recorder = new EventRecorder(
    {
      create: (ns, e) => client.createEvent(ns, e),
      patch: (ns, n, p) => client.patchEvent(ns, n, p),
    },
    {
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: identity,
      timers,
      onError: (err) => logger.warn({ err }, 'could not write Event'),
    },
  );
  const port = FORWARDER_POD.healthPort;
  const probe =
    opts.probe ??
    new HttpReadinessProbe({
      resolveUrl: config.PROBE_ADDRESS === 'pod' ? podIpUrlResolver(port) : serviceUrlResolver(port),
      timeoutMs: config.PROBE_TIMEOUT_MS,
    });

  const podMonitors = optionalKind(() => client.serves(POD_MONITOR), timers, {
    onError: (err) => logger.warn({ err }, 'PodMonitor discovery failed'),
  });
  const strimziTopics = optionalKind(() => client.serves(KAFKA_TOPIC), timers, {
    onError: (err) => logger.warn({ err }, 'KafkaTopic discovery failed'),
  });
  const strimziUsers = optionalKind(() => client.serves(KAFKA_USER), timers, {
    onError: (err) => logger.warn({ err }, 'KafkaUser discovery failed'),
  });
  // The controller needs the reconciler, the reconciler reads the controller's caches.
  let controller: Controller | undefined;
  const probes = new ProbeScheduler({
    probe,
    concurrency: config.PROBE_CONCURRENCY,
    timers,
    onChange: (key) => controller?.enqueue(key),
    onProbe: (outcome, lagMs) => {
      metrics.probes.inc({ outcome: outcome.kind === 'reported' ? 'reported' : outcome.reason });
      metrics.probeLag.observe(lagMs / 1000);
      metrics.probesWaiting.set(probes.waiting);
    },
  });
  const reconcile = makeReconciler({
    client,
    cache: {
      forwarder: (ns, name) => controller?.forwarder(ns, name),
      child: (kind, ns, name) => controller?.child(kind, ns, name),
      secretVersion: (ns, name) => controller?.secretVersion(ns, name),
    },
    secretInputs: new SecretInputsMemo(),
    settings: settingsFrom(config),
    probes,
    recorder,
    forwarders: () => controller?.forwarders() ?? [],
    podsOf: (ns, name) => controller?.podsOf(ns, name) ?? [],
    timers,
    probeIntervalReadyMs: config.PROBE_INTERVAL_READY_SECONDS * 1000,
    probeIntervalNotReadyMs: config.PROBE_INTERVAL_NOT_READY_SECONDS * 1000,
    metrics,
    logger,
    onReconciled: opts.onReconciled,
    podMonitors: () => podMonitors.served(),
    strimzi: async () => (await strimziTopics.served()) && (await strimziUsers.served()),
    topics: new TopicsEnsurer({
      admin: opts.topicAdmin ?? platformaticTopicAdmin,
      readSecret: (ns, name, keys) => client.readSecretKeys(ns, name, keys),
      secretVersion: (ns, name) => controller?.secretVersion(ns, name),
      now: () => timers.now(),
      logger,
    }),
  });
  const ctl = new Controller({
    client,
    namespaces: config.WATCH_NAMESPACES,
    ownedSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}`,
    podSelector: `${LABEL_NAME}=${APP_NAME}`,
    instanceLabel: LABEL_INSTANCE,
    workers: config.WORKERS,
    queueBackoffBaseMs: opts.queueBackoffBaseMs,
    queueBackoffMaxMs: opts.queueBackoffMaxMs,
    tuning: {
      timeoutSeconds: config.WATCH_TIMEOUT_SECONDS,
      watchdogMs: config.WATCH_WATCHDOG_SECONDS * 1000,
      resyncMs: config.RESYNC_SECONDS * 1000,
      backoffBaseMs: opts.watchBackoffBaseMs,
      backoffMaxMs: opts.watchBackoffMaxMs,
    },
    reconcile,
    metrics,
    logger,
    timers,
  });
  controller = ctl;
  ctl.start();

  // Leadership: reconcile only while leading, and only once the caches are filled.
  let leading = false;
  let stopping = false;
  // In-flight reconciles of a lost term: a new term starts only after they have ended, so one
  // key is never reconciled twice at once even when leadership comes back quickly.
  let previousTerm: Promise<void> = Promise.resolve();
  const lead = () => {
    leading = true;
    metrics.leader.set(1);
    logger.info({ identity }, 'leading: reconciling');
    void Promise.all([ctl.waitForSync(), previousTerm]).then(() => {
      if (leading && !stopping) ctl.startLeading();
    });
  };
  const unlead = () => {
    leading = false;
    metrics.leader.set(0);
    logger.warn({ identity }, 'not leading: stopped reconciling');
    previousTerm = ctl.stopLeading();
    for (const key of ctl.forwarders().map((af) => `${af.metadata.namespace}/${af.metadata.name}`))
      probes.untrack(key);
  };
  let elector: LeaseElector | undefined;
  if (config.LEADER_ELECTION) {
    elector = new LeaseElector(operatorLeaseStore(client, config.OPERATOR_NAMESPACE, config.LEASE_NAME), {
      identity,
      subject: 'leader lease',
      timings: {
        leaseDurationMs: config.LEASE_DURATION_SECONDS * 1000,
        renewDeadlineMs: config.RENEW_DEADLINE_SECONDS * 1000,
        retryPeriodMs: config.RETRY_PERIOD_SECONDS * 1000,
      },
      clock: asClock(timers),
      logger: logger.child({ component: 'leader-election', lease: config.LEASE_NAME }),
      onAcquired: lead,
      onLost: unlead,
    });
    elector.start();
  } else {
    lead();
  }

  const http = await startHttpServer(
    config.HTTP_HOST,
    config.HTTP_PORT,
    {
      ready: () =>
        leading
          ? { ready: true, role: 'leader' }
          : { ready: ctl.synced, role: ctl.synced ? 'standby' : 'starting' },
    },
    metrics.registry,
  );
  logger.info({ identity, port: http.port, namespaces: config.WATCH_NAMESPACES }, 'operator started');

  return {
    identity,
    httpPort: http.port,
    metrics,
    isLeader: () => leading && ctl.leading,
    synced: () => ctl.waitForSync(),
    async stop() {
      if (stopping) return;
      stopping = true;
      logger.info('shutting down: draining reconciles');
      let cancelGrace: (() => void) | undefined;
      const drained = await Promise.race([
        ctl.shutdown().then(() => true),
        new Promise<boolean>((resolve) => {
          cancelGrace = timers.after(config.SHUTDOWN_GRACE_SECONDS * 1000, () => resolve(false));
        }),
      ]);
      cancelGrace?.();
      leading = false;
      probes.stop();
      if (!drained) {
        void ctl.stopLeading();
        ctl.stopWatches();
        logger.warn(
          { grace_seconds: config.SHUTDOWN_GRACE_SECONDS },
          'reconciles still in flight after the shutdown grace: the Lease is left to expire instead of being released',
        );
      }
      // Released only when no reconcile of this term is left; otherwise the Lease expires normally.
      if (drained) await elector?.release();
      else await elector?.stop();
      metrics.leader.set(0);
      await http.close();
      if (drained) await client.close();
      logger.info('operator stopped');
    },
  };
}
