/**
 * Every child object of one AlpacaForwarder, in apply order (identity and RBAC, config, then the
 * workload), plus the hashes the status records. Pure and deterministic: the same resource,
 * settings and inputs give byte-identical objects, so server-side apply is a no-op when nothing
 * changed.
 */
import type {
  V1ConfigMap,
  V1Deployment,
  V1NetworkPolicy,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { configHash, renderConfigFile } from './config-file.ts';
import { buildConfigMap } from './configmap.ts';
import { buildDeployment } from './deployment.ts';
import type { DesiredInputs } from './inputs.ts';
import { buildNetworkPolicy } from './network-policy.ts';
import { buildPodMonitor, type PodMonitor } from './pod-monitor.ts';
import { buildRole, buildRoleBinding } from './rbac.ts';
import { buildService } from './service.ts';
import { buildServiceAccount } from './service-account.ts';
import type { OperatorSettings } from './settings.ts';
import { buildKafkaTopics, buildKafkaUser, type KafkaTopic, type KafkaUser } from './strimzi.ts';

export type ChildObject =
  | V1ServiceAccount
  | V1Role
  | V1RoleBinding
  | V1ConfigMap
  | V1Service
  | V1NetworkPolicy
  | V1Deployment
  | PodMonitor
  | KafkaTopic
  | KafkaUser;

export interface DesiredChildren {
  /** Objects to server-side apply, in order. */
  apply: ChildObject[];
  /** Kinds this resource must not have (e.g. NetworkPolicy when disabled): delete if present. */
  absent: Array<'NetworkPolicy'>;
  /** Hash of the rolling config (status.configHash and the pod annotation). */
  configHash: string;
}

/** Throws InvalidConfigFileError (config-file.ts) when the rendered config file is invalid. */
export function buildChildren(
  af: AlpacaForwarder,
  settings: OperatorSettings,
  inputs: DesiredInputs,
): DesiredChildren {
  const file = renderConfigFile(af, settings);
  const hash = configHash(file);
  const networkPolicy = buildNetworkPolicy(af, settings);
  const apply: ChildObject[] = [
    buildServiceAccount(af),
    buildRole(af, inputs),
    buildRoleBinding(af),
    buildConfigMap(af, file),
    buildService(af),
  ];
  if (networkPolicy) apply.push(networkPolicy);
  apply.push(buildDeployment(af, settings, { ...inputs, configHash: hash }));
  if (inputs.podMonitor) apply.push(buildPodMonitor(af));
  // Mode strimzi, when the cluster serves KafkaTopic and KafkaUser: before the pod needs the user's Secret.
  if (inputs.strimzi && af.spec.kafka.topics.mode === 'strimzi') {
    const user = buildKafkaUser(af);
    apply.unshift(...buildKafkaTopics(af), ...(user ? [user] : []));
  }
  return { apply, absent: networkPolicy ? [] : ['NetworkPolicy'], configHash: hash };
}
