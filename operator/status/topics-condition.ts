/**
 * The Topics condition (spec.kafka.topics.mode ensure or strimzi), pure: True when every topic
 * exists with the settings the spec asks for; False with a reason naming what is wrong (a setting
 * of an existing topic that differs, never changed by the operator; a missing admin Secret; a
 * classified Kafka error). Messages name topics, Secrets and keys, never values.
 */
import type { AlpacaForwarder } from '../api/types.ts';
import type { TopicsState } from '../topics/ensurer.ts';
import { describeMismatches } from '../topics/plan.ts';
import type { ConditionValue } from './conditions.ts';

export const TOPICS_CONDITION = 'Topics';

/** Mode strimzi: whether the KafkaTopics and the KafkaUser could be rendered. */
export function strimziCondition(af: AlpacaForwarder, served: boolean): ConditionValue {
  const cluster = af.spec.kafka.topics.strimzi?.cluster ?? '';
  return served
    ? {
        status: 'True',
        reason: 'StrimziResourcesApplied',
        message: `KafkaTopics and KafkaUser ${af.metadata.name}-forwarder (cluster ${cluster}) are applied; Strimzi's Topic and User Operators create the topics and the user's Secret.`,
      }
    : {
        status: 'False',
        reason: 'StrimziNotInstalled',
        message:
          'spec.kafka.topics.mode is strimzi but the cluster serves no kafka.strimzi.io/v1beta2 KafkaTopic and KafkaUser; install Strimzi or use mode none or ensure.',
      };
}

export function topicsCondition(af: AlpacaForwarder, s: TopicsState): ConditionValue {
  const ns = af.metadata.namespace;
  switch (s.kind) {
    case 'ensured': {
      const created = s.created.length > 0 ? ` Created: ${s.created.join(', ')}.` : '';
      if (s.mismatches.length > 0) {
        return {
          status: 'False',
          reason: 'TopicSettingsMismatch',
          message:
            `Existing topics differ from the spec (the operator never changes them): ${describeMismatches(s.mismatches)}.` +
            `${created} Change the topics with the Kafka tools, or the spec to match.`,
        };
      }
      return {
        status: 'True',
        reason: 'TopicsEnsured',
        message: `Topics ${s.topics.join(', ')} exist with the expected settings.${created}`,
      };
    }
    case 'secret': {
      const p = s.problem;
      return p.kind === 'secret_not_found'
        ? {
            status: 'False',
            reason: 'AdminSecretNotFound',
            message: `Secret ${ns}/${p.secret} (spec.kafka.topics.adminSecretRef or spec.kafka.tls) does not exist.`,
          }
        : {
            status: 'False',
            reason: 'AdminSecretKeyMissing',
            message: `Secret ${ns}/${p.secret} has no key ${p.key} (spec.kafka.topics.adminSecretRef or spec.kafka.tls).`,
          };
    }
    case 'failed': {
      const what = s.step === 'create' ? `create topic ${s.topic}` : 'describe the topics';
      const ref = af.spec.kafka.topics.adminSecretRef;
      const who = ref ? ` with the credentials in Secret ${ns}/${ref.name}` : '';
      return {
        status: 'False',
        reason: 'TopicsEnsureFailed',
        message: `Could not ${what}${who}: ${s.reason}. The operator retries.`,
      };
    }
  }
}
