/**
 * The 406 restart policy (design §4.2), pure. The operator restarts the forwarder pod only when
 * error_class `alpaca_406_second_connection` has held for `stuckAfterSeconds`, never during a
 * rollout, with at least `cooldownSeconds` between restarts and at most `maxRestartsPerHour`.
 *
 * Budget: a fixed one-hour window. It starts at the first restart after the previous window
 * expired (status.restarts.windowStart) and counts restarts in it (windowCount); when the count
 * reaches the budget the decision is `stalled` until the window ends. A fixed window can allow up
 * to twice the budget across a window boundary; the cooldown bounds that (3/h with a 600 s
 * cooldown: at most 6 restarts in any two hours), and it needs only two status fields.
 *
 * "Held for" is measured from the later of status.errorSince (when the operator first saw the
 * class) and the last restart, so a new pod that meets the same lingering connection gets the
 * full stuckAfterSeconds again. Every other class (alpaca_auth above all) never restarts.
 */
import type { ErrorClass } from '../../contracts/readiness.ts';
import type { AlpacaForwarderSpec, AlpacaForwarderStatus } from '../api/types.ts';

export const CONNECTION_LIMIT_CLASS = 'alpaca_406_second_connection' satisfies ErrorClass;
export const BUDGET_WINDOW_MS = 3_600_000;
/** Poll interval while a rollout is in progress. */
export const ROLLOUT_REQUEUE_MS = 10_000;

export type RestartBookkeeping = NonNullable<AlpacaForwarderStatus['restarts']>;

export interface RestartPolicyInput {
  policy: AlpacaForwarderSpec['restartPolicy']['on406'];
  /** Current error class from the probe; undefined when healthy or unknown. */
  errorClass: string | undefined;
  /** status.errorSince: when the operator first saw this error class (RFC 3339). */
  errorSince: string | undefined;
  /** status.restarts as last written. */
  restarts: RestartBookkeeping | undefined;
  /** The Deployment is rolling out (new pod not yet up, or old one still terminating). */
  rolloutInProgress: boolean;
  now: Date;
}

export type RestartDecision =
  /** Nothing to do: not a 406, or the policy is disabled. */
  | { action: 'none' }
  /** Not yet: re-check after requeueAfterMs. */
  | { action: 'wait'; requeueAfterMs: number; why: 'rollout' | 'not_stuck_long_enough' | 'cooldown' }
  /** Restart now: set the pod-template annotation to restartedAt and write `restarts` to status. */
  | { action: 'restart'; restartedAt: string; reason: string; restarts: RestartBookkeeping }
  /** Budget spent: another client holds the account's connection. Re-check after requeueAfterMs. */
  | { action: 'stalled'; message: string; requeueAfterMs: number };

function ms(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

export function decideRestart(input: RestartPolicyInput): RestartDecision {
  const { policy, restarts, now } = input;
  if (!policy.enabled || input.errorClass !== CONNECTION_LIMIT_CLASS) return { action: 'none' };
  const nowMs = now.getTime();
  const lastRestartMs = ms(restarts?.lastRestartTime);
  const heldFromMs = Math.max(ms(input.errorSince) ?? nowMs, lastRestartMs ?? Number.NEGATIVE_INFINITY);
  const heldMs = nowMs - heldFromMs;
  const stuckMs = policy.stuckAfterSeconds * 1000;

  if (input.rolloutInProgress) return { action: 'wait', requeueAfterMs: ROLLOUT_REQUEUE_MS, why: 'rollout' };
  if (heldMs < stuckMs)
    return { action: 'wait', requeueAfterMs: stuckMs - heldMs, why: 'not_stuck_long_enough' };

  const windowStartMs = ms(restarts?.windowStart);
  const windowOpen = windowStartMs !== undefined && nowMs - windowStartMs < BUDGET_WINDOW_MS;
  const windowCount = windowOpen ? (restarts?.windowCount ?? 0) : 0;
  if (windowCount >= policy.maxRestartsPerHour) {
    const retryMs =
      windowOpen && windowStartMs !== undefined ? windowStartMs + BUDGET_WINDOW_MS - nowMs : BUDGET_WINDOW_MS;
    return {
      action: 'stalled',
      requeueAfterMs: Math.max(retryMs, 1000),
      message:
        `Another client holds this account's Alpaca stream connection: 406 (connection limit) persisted for ` +
        `${Math.round(heldMs / 1000)} s after ${windowCount} operator restart(s) in the current hour ` +
        `(budget spec.restartPolicy.on406.maxRestartsPerHour=${policy.maxRestartsPerHour}). ` +
        `Stop the other client using this key; the operator retries after ${new Date(nowMs + Math.max(retryMs, 1000)).toISOString()}.`,
    };
  }

  const cooldownMs = policy.cooldownSeconds * 1000;
  if (lastRestartMs !== undefined && nowMs - lastRestartMs < cooldownMs) {
    return { action: 'wait', requeueAfterMs: lastRestartMs + cooldownMs - nowMs, why: 'cooldown' };
  }

  const restartedAt = now.toISOString();
  const reason = `${CONNECTION_LIMIT_CLASS} held for ${Math.round(heldMs / 1000)} s`;
  return {
    action: 'restart',
    restartedAt,
    reason,
    restarts: {
      count: (restarts?.count ?? 0) + 1,
      lastRestartTime: restartedAt,
      lastReason: reason,
      windowStart: windowOpen && restarts?.windowStart ? restarts.windowStart : restartedAt,
      windowCount: windowCount + 1,
      restartedAt,
    },
  };
}
