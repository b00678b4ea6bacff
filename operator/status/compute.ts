/**
 * The AlpacaForwarder status, pure: from the resource, this reconcile's observations (probe,
 * Deployment, Secrets, credentials check, restart decision) and the clock, the complete status
 * to server-side apply to /status. Conditions: Ready (summary), Progressing, Degraded, Stalled,
 * each with reason, message and observedGeneration; lastTransitionTime changes only on a flip.
 * Messages name Secrets and keys, never their contents.
 */
import { GATE_NAMES, type ReadinessBody } from '../../contracts/readiness.ts';
import { after406Ms } from '../api/reconnect.ts';
import type { AlpacaForwarder, AlpacaForwarderStatus, ConditionType } from '../api/types.ts';
import type { CredentialsDecision } from '../policy/credentials.ts';
import type { RestartDecision } from '../policy/restart.ts';
import { type ConditionValue, mergeConditions } from './conditions.ts';
import type { DeploymentState } from './deployment-state.ts';
import { type ProbeResult, trackError } from './probe.ts';
import { TOPICS_CONDITION } from './topics-condition.ts';

export type SecretProblem =
  | { kind: 'secret_not_found'; secret: string }
  | { kind: 'key_missing'; secret: string; key: string };

export interface StatusInput {
  af: AlpacaForwarder;
  now: Date;
  probe: ProbeResult;
  deployment: DeploymentState;
  credentials: CredentialsDecision;
  /** This reconcile's restart decision; `restart` records the new bookkeeping. */
  restart: RestartDecision;
  /** A referenced Secret or key is missing (the pod cannot start). */
  secretProblem?: SecretProblem;
  /** The spec renders an invalid config file (InvalidConfigFileError message). */
  configError?: string;
  /** Hashes computed this reconcile; previous values are kept when absent. */
  configHash?: string;
  secretHash?: string;
  keyIdHash?: string;
  /** The Topics condition (spec.kafka.topics.mode ensure or strimzi); absent with mode none. */
  topics?: ConditionValue;
}

type Conditions = Record<ConditionType, ConditionValue>;

/** metav1.Condition reason syntax; a forwarder reason code that does not fit is not used as one. */
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

const c = (status: ConditionValue['status'], reason: string, message: string): ConditionValue => ({
  status,
  reason,
  message,
});

/** All four conditions with one reason (suspended, stalled states). */
function uniform(
  ready: ConditionValue,
  stalled: ConditionValue,
  progressing = c('False', ready.reason, ''),
): Conditions {
  return {
    Ready: ready,
    Progressing: progressing,
    Degraded: c('False', ready.reason, ''),
    Stalled: stalled,
  };
}

/** Human message for a readiness error class; names Secrets, never their contents. */
export function errorClassMessage(af: AlpacaForwarder, errorClass: string, reason: string | null): string {
  const ns = af.metadata.namespace;
  const creds = af.spec.credentialsSecretRef;
  const why = reason ? ` (${reason})` : '';
  switch (errorClass) {
    case 'alpaca_auth':
      return (
        `Alpaca rejected the credentials${why}. Fix the key id and secret key in Secret ${ns}/${creds.name} ` +
        `(keys ${creds.keyIdKey}, ${creds.secretKeyKey}); the pod restarts by itself when the Secret changes. ` +
        `The operator never restarts on this error.`
      );
    case 'alpaca_406_second_connection':
      return (
        `Alpaca refused the stream connection: another connection already uses this key (406)${why}. ` +
        `The forwarder backs off ${after406Ms(af.spec.reconnect) / 1000} s; the operator restarts the pod if it ` +
        `persists for ${af.spec.restartPolicy.on406.stuckAfterSeconds} s ` +
        `(at most ${af.spec.restartPolicy.on406.maxRestartsPerHour} per hour).`
      );
    case 'kafka_auth': {
      const sasl = af.spec.kafka.sasl;
      const where = sasl ? ` Check the SASL credentials in Secret ${ns}/${sasl.secretRef.name}` : '';
      return `Kafka rejected the client's authentication or authorisation${why}.${where} and the broker ACLs.`;
    }
    case 'kafka_metadata':
      return `Kafka metadata is unavailable${why}: check spec.kafka.bootstrapServers and that the topics exist.`;
    case 'kafka_produce':
      return `Producing to Kafka fails${why}; records wait in the bounded buffer.`;
    case 'subscription_incomplete':
      return (
        `Alpaca's subscription acknowledgements leave wanted symbols out${why}; the forwarder ` +
        `resubscribes them (bounded) and streams the others. The missing symbols are in the forwarder's ` +
        `/readyz detail.subscriptions and its status topic; check they exist on the feed and fit the plan.`
      );
    default:
      return `The forwarder is not ready: ${errorClass}${why}.`;
  }
}

function secretMessage(af: AlpacaForwarder, p: SecretProblem): { reason: string; message: string } {
  const ns = af.metadata.namespace;
  return p.kind === 'secret_not_found'
    ? { reason: 'SecretNotFound', message: `Secret ${ns}/${p.secret} referenced by the spec does not exist.` }
    : {
        reason: 'SecretKeyMissing',
        message: `Secret ${ns}/${p.secret} has no key ${p.key} (referenced by the spec).`,
      };
}

function probeConditions(input: StatusInput): Conditions {
  const { af, probe, deployment, restart } = input;
  const restarting = restart.action === 'restart';
  const progressing = restarting
    ? c('True', 'Restarting', `Restarting the pod: ${restart.reason}.`)
    : deployment.rolloutInProgress
      ? c('True', 'RollingOut', 'The forwarder Deployment is rolling out.')
      : c('False', 'RolloutComplete', 'The forwarder Deployment is up to date.');
  const stalled =
    restart.action === 'stalled'
      ? c('True', 'ConnectionHeldElsewhere', restart.message)
      : c('False', 'AsExpected', '');
  const secret = input.secretProblem ? secretMessage(af, input.secretProblem) : undefined;

  if (secret) {
    return {
      Ready: c('False', secret.reason, secret.message),
      Progressing: progressing,
      Degraded: c('True', secret.reason, secret.message),
      Stalled: stalled,
    };
  }
  if (probe.kind === 'body' && probe.body.ready) {
    const gates = probe.body.gates;
    const parts = GATE_NAMES.filter((g) => gates[g] !== null);
    return {
      Ready: c('True', 'Streaming', `Streaming since ${probe.body.since} (${parts.join(', ')} ready).`),
      Progressing: progressing,
      Degraded: c('False', 'AsExpected', ''),
      Stalled: stalled,
    };
  }
  if (probe.kind === 'body' && probe.body.error_class !== null) {
    const errorClass = probe.body.error_class;
    const message = errorClassMessage(af, errorClass, probe.body.reason);
    const ready =
      restart.action === 'stalled'
        ? c('False', 'ConnectionHeldElsewhere', restart.message)
        : c('False', errorClass, message);
    return {
      Ready: ready,
      Progressing: progressing,
      Degraded: c('True', errorClass, message),
      Stalled: stalled,
    };
  }
  if (probe.kind === 'body') {
    const reason =
      probe.body.reason && CONDITION_REASON.test(probe.body.reason) ? probe.body.reason : 'NotReady';
    const message = `The forwarder is not ready yet (${reason}), since ${probe.body.since}.`;
    return {
      Ready: c('False', reason, message),
      Progressing: progressing,
      Degraded: c('False', 'AsExpected', ''),
      Stalled: stalled,
    };
  }
  if (deployment.progressDeadlineExceeded) {
    const message = 'The forwarder Deployment exceeded its progress deadline: the pod does not start.';
    return {
      Ready: c('False', 'ProgressDeadlineExceeded', message),
      Progressing: c('False', 'ProgressDeadlineExceeded', message),
      Degraded: c('True', 'ProgressDeadlineExceeded', message),
      Stalled: stalled,
    };
  }
  if (probe.kind === 'failed') {
    const message = `Cannot read the forwarder's readiness: ${probe.error}.`;
    return {
      Ready: c('False', deployment.rolloutInProgress ? 'RollingOut' : 'ProbeFailed', message),
      Progressing: progressing,
      Degraded: c('Unknown', 'ProbeFailed', message),
      Stalled: stalled,
    };
  }
  const message = deployment.rolloutInProgress
    ? 'Waiting for the forwarder pod to start.'
    : 'No forwarder pod is running.';
  return {
    Ready: c('False', deployment.rolloutInProgress ? 'RollingOut' : 'NoPod', message),
    Progressing: progressing,
    Degraded: c('Unknown', 'NoPod', message),
    Stalled: stalled,
  };
}

function conditionsFor(input: StatusInput): Conditions {
  const { af, credentials } = input;
  if (af.spec.suspend) {
    const m = 'spec.suspend is true: the forwarder is scaled to 0 and not streaming; its resources are kept.';
    return uniform(c('False', 'Suspended', m), c('False', 'Suspended', ''));
  }
  if (input.configError) {
    const m = `The spec cannot be rendered into a valid forwarder config: ${input.configError}`;
    return uniform(c('False', 'InvalidSpec', m), c('True', 'InvalidSpec', m));
  }
  if (credentials.inUse) {
    return uniform(
      c('False', 'CredentialsInUse', credentials.message),
      c('True', 'CredentialsInUse', credentials.message),
    );
  }
  return probeConditions(input);
}

/**
 * The symbols the forwarder streams: its /readyz `symbol_count` (symbolsFrom's live list), else,
 * with symbolsFrom, the last count seen (the list is remote: spec.symbols is only its fallback),
 * else spec.symbols.
 */
function symbolCount(af: AlpacaForwarder, probe: ProbeResult, previous: number | undefined): number {
  if (probe.kind === 'body' && probe.body.symbol_count !== undefined) return probe.body.symbol_count;
  if (af.spec.symbolsFrom && previous !== undefined) return previous;
  return af.spec.symbols?.length ?? 0;
}

export function computeStatus(input: StatusInput): AlpacaForwarderStatus {
  const { af, now, probe, restart } = input;
  const previous = af.status;
  const generation = af.metadata.generation;
  const track = af.spec.suspend ? {} : trackError(previous, probe, now);
  const gates =
    probe.kind === 'body'
      ? {
          alpacaWs: probe.body.gates.alpaca_ws,
          kafka: probe.body.gates.kafka,
          ...(probe.body.gates.trade_updates === null
            ? {}
            : { tradeUpdates: probe.body.gates.trade_updates }),
        }
      : undefined;
  const restarts = restart.action === 'restart' ? restart.restarts : previous?.restarts;
  const lastProbeTime = probe.kind === 'skipped' ? previous?.lastProbeTime : now.toISOString();
  const leaseHolder = probe.kind === 'body' ? leaseHolderOf(probe.body) : undefined;
  const configHash = input.configHash ?? previous?.configHash;
  const secretHash = input.secretHash ?? previous?.secretHash;
  const keyIdHash = input.keyIdHash ?? previous?.keyIdHash;
  return {
    observedGeneration: generation,
    conditions: mergeConditions(
      previous?.conditions,
      conditionsFor(input),
      generation,
      now,
      input.topics ? [[TOPICS_CONDITION, input.topics]] : [],
    ),
    ...track,
    ...(gates ? { gates } : {}),
    ...(lastProbeTime ? { lastProbeTime } : {}),
    ...(leaseHolder ? { leaseHolder } : {}),
    restarts: restarts ?? { count: 0 },
    ...(configHash ? { configHash } : {}),
    ...(secretHash ? { secretHash } : {}),
    ...(keyIdHash ? { keyIdHash } : {}),
    symbolCount: symbolCount(af, probe, previous?.symbolCount),
    suspended: af.spec.suspend,
  };
}

/** A Kubernetes object name of at most 253 characters (what a Lease holder identity is: a pod name). */
const HOLDER = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * detail.lease.holder of a readiness body (forwarder/lease/readiness.ts), when it is a pod-name
 * shaped string; anything else is dropped rather than copied into the status.
 */
export function leaseHolderOf(body: ReadinessBody): string | undefined {
  const lease = body.detail.lease;
  if (typeof lease !== 'object' || lease === null) return undefined;
  const holder = (lease as { holder?: unknown }).holder;
  return typeof holder === 'string' && HOLDER.test(holder) ? holder : undefined;
}
