/**
 * One mode-ensure pass against the cluster: describe the desired topics, plan (plan.ts), create
 * the missing ones, report the mismatches. Kafka errors come back classified (the forwarder's
 * stable reason codes), never as raw text: an error message may carry broker details a status
 * must not show.
 */
import { classifyKafkaError } from '../../lib/kafka/classify.ts';
import type { TopicAdmin } from './admin.ts';
import type { DesiredTopic } from './desired.ts';
import { planTopics, type TopicMismatch } from './plan.ts';

export type EnsureOutcome =
  | { kind: 'ensured'; topics: string[]; created: string[]; mismatches: TopicMismatch[] }
  | { kind: 'failed'; reason: string; step: 'describe' | 'create'; topic?: string; error: unknown };

export async function ensureTopics(
  admin: TopicAdmin,
  desired: readonly DesiredTopic[],
): Promise<EnsureOutcome> {
  let existing: Awaited<ReturnType<TopicAdmin['describe']>>;
  try {
    existing = await admin.describe(desired.map((t) => t.name));
  } catch (err) {
    return {
      kind: 'failed',
      reason: classifyKafkaError(err, 'connect').reason,
      step: 'describe',
      error: err,
    };
  }
  const plan = planTopics(desired, existing);
  const created: string[] = [];
  let mismatches = plan.mismatches;
  for (const topic of plan.create) {
    try {
      if (await admin.create(topic)) {
        created.push(topic.name);
        continue;
      }
      // Created by someone else since the describe: compare its settings like any existing topic.
      const now = await admin.describe([topic.name]);
      mismatches = [...mismatches, ...planTopics([topic], now).mismatches];
    } catch (err) {
      return {
        kind: 'failed',
        reason: classifyKafkaError(err, 'connect').reason,
        step: 'create',
        topic: topic.name,
        error: err,
      };
    }
  }
  return { kind: 'ensured', topics: desired.map((t) => t.name), created, mismatches };
}
