/**
 * metav1.Condition bookkeeping, pure: lastTransitionTime changes only when a condition's status
 * flips; observedGeneration is the generation the condition was computed for.
 */
import type { Condition, ConditionType } from '../api/types.ts';
import { CONDITION_TYPES } from '../api/types.ts';

export interface ConditionValue {
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase or a stable snake_case code (pattern ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$). */
  reason: string;
  message: string;
}

export const MAX_MESSAGE_LENGTH = 2048;

function clip(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/**
 * Conditions in the fixed order Ready, Progressing, Degraded, Stalled, then the optional ones
 * (e.g. Topics) in the order given.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: Record<ConditionType, ConditionValue>,
  generation: number,
  now: Date,
  optional: ReadonlyArray<[string, ConditionValue]> = [],
): Condition[] {
  const all: Array<[string, ConditionValue]> = [
    ...CONDITION_TYPES.map((type): [string, ConditionValue] => [type, next[type]]),
    ...optional,
  ];
  return all.map(([type, value]) => {
    const prev = previous?.find((c) => c.type === type);
    const lastTransitionTime =
      prev && prev.status === value.status
        ? prev.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      type,
      status: value.status,
      observedGeneration: generation,
      lastTransitionTime,
      reason: value.reason,
      message: clip(value.message),
    };
  });
}
