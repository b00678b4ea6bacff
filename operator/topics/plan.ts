/**
 * What mode ensure does, pure: from the desired topics and what the cluster has, the topics to
 * create and every setting of an existing topic that differs. A mismatch is only reported (the
 * Topics condition): partitions, replication and retention decide where data goes and how long
 * it stays, so the operator never changes them behind a person's back.
 */
import type { DesiredTopic, ManagedConfig } from './desired.ts';

/** An existing topic as the Admin API describes it. */
export interface ExistingTopic {
  partitions: number;
  replicationFactor: number;
  /** Values of the managed configs (undefined when the broker did not return one). */
  configs: Partial<Record<ManagedConfig, string>>;
}

export type TopicSetting = 'partitions' | 'replicationFactor' | ManagedConfig;

export interface TopicMismatch {
  topic: string;
  setting: TopicSetting;
  want: string;
  have: string;
}

export interface TopicPlan {
  create: DesiredTopic[];
  mismatches: TopicMismatch[];
}

export function planTopics(
  desired: readonly DesiredTopic[],
  existing: ReadonlyMap<string, ExistingTopic>,
): TopicPlan {
  const create: DesiredTopic[] = [];
  const mismatches: TopicMismatch[] = [];
  for (const want of desired) {
    const have = existing.get(want.name);
    if (!have) {
      create.push(want);
      continue;
    }
    const diff = (setting: TopicSetting, w: string, h: string | undefined) => {
      if (h !== undefined && h !== w) mismatches.push({ topic: want.name, setting, want: w, have: h });
    };
    diff('partitions', String(want.partitions), String(have.partitions));
    diff('replicationFactor', String(want.replicationFactor), String(have.replicationFactor));
    for (const key of Object.keys(want.configs).sort() as ManagedConfig[]) {
      diff(key, want.configs[key], have.configs[key]);
    }
  }
  return { create, mismatches };
}

/** One line per mismatch: `topic t: retention.ms is 86400000, the spec wants 604800000`. */
export function describeMismatches(mismatches: readonly TopicMismatch[]): string {
  return mismatches
    .map((m) => `topic ${m.topic}: ${m.setting} is ${m.have}, the spec wants ${m.want}`)
    .join('; ');
}
