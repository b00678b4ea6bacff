/**
 * Which AlpacaForwarder an event concerns: owned objects by their controller ownerReference,
 * forwarder pods by their instance label, Secrets by the references in each spec. Pure.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { strimziUserNameFor } from '../desired/strimzi.ts';

export function resourceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** namespace/name of the AlpacaForwarder that controls obj, if any. */
export function ownerKey(
  obj: KubernetesObject,
  ownerApiVersion: string,
  ownerKind: string,
): string | undefined {
  const ns = obj.metadata?.namespace;
  if (!ns) return undefined;
  const ref = obj.metadata?.ownerReferences?.find(
    (r) => r.controller === true && r.kind === ownerKind && r.apiVersion === ownerApiVersion,
  );
  return ref ? resourceKey(ns, ref.name) : undefined;
}

/** namespace/name from a label carrying the owner's name (pods of our Deployments). */
export function labelOwnerKey(obj: KubernetesObject, label: string): string | undefined {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.labels?.[label];
  return ns && name ? resourceKey(ns, name) : undefined;
}

/** Names of the Secrets (in the resource's namespace) that a spec references. */
export function referencedSecrets(af: Pick<AlpacaForwarder, 'spec'>): string[] {
  const names = new Set<string>();
  const s = af.spec;
  if (s?.credentialsSecretRef?.name) names.add(s.credentialsSecretRef.name);
  if (s?.kafka?.sasl?.secretRef?.name) names.add(s.kafka.sasl.secretRef.name);
  if (s?.kafka?.tls?.caSecretRef?.name) names.add(s.kafka.tls.caSecretRef.name);
  // Mode ensure's admin credentials: a change starts a new topic pass (not a pod roll).
  if (s?.kafka?.topics?.adminSecretRef?.name) names.add(s.kafka.topics.adminSecretRef.name);
  // Mode strimzi: the Secret the Strimzi User Operator writes for the forwarder's KafkaUser.
  const name = (af as { metadata?: { name?: string } }).metadata?.name;
  if (s?.kafka?.topics?.mode === 'strimzi' && s.kafka.topics.strimzi && name)
    names.add(strimziUserNameFor(name));
  return [...names].sort();
}

/** Keys of the resources (from the cache) that reference Secret namespace/name. */
export function ownersOfSecret(
  secretNamespace: string,
  secretName: string,
  forwarders: Iterable<AlpacaForwarder>,
): string[] {
  const out: string[] = [];
  for (const af of forwarders) {
    if (af.metadata.namespace !== secretNamespace) continue;
    if (referencedSecrets(af).includes(secretName))
      out.push(resourceKey(af.metadata.namespace, af.metadata.name));
  }
  return out;
}
