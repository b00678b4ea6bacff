/**
 * NetworkPolicy for the forwarder pod. Egress: DNS; Alpaca (stream, REST, trade updates) on the
 * ports of the configured URLs to spec.networkPolicy.alpacaEgressCidrs; the symbolsFrom endpoint;
 * Kafka in the selected namespaces on the broker ports; the kube-apiserver (Lease). Ingress: the
 * health port from the operator's namespace, the metrics port from the metrics namespaces.
 * Returns undefined when spec.networkPolicy.enabled is false (the runtime deletes a stale one).
 *
 * Shapes are client-node models: an ingress rule's peers are `_from`, which client-node's
 * ObjectSerializer (used by KubernetesObjectApi.patch) writes as `from` on the wire.
 */
import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPort,
} from '@kubernetes/client-node';
import type { AlpacaForwarder, AlpacaForwarderSpec } from '../api/types.ts';
import { childMetadata, selectorLabels } from './names.ts';
import { FORWARDER_POD, type OperatorSettings } from './settings.ts';

type SelectorSpec = AlpacaForwarderSpec['networkPolicy']['kafkaNamespaceSelector'];

/** Port of a ws/wss/http/https URL, the scheme's default when absent. */
export function urlPort(url: string): number {
  const u = new URL(url);
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80;
}

/** Broker ports: spec.networkPolicy.kafkaPorts, else the ports of kafka.bootstrapServers. */
export function kafkaPorts(spec: AlpacaForwarderSpec): number[] {
  const explicit = spec.networkPolicy.kafkaPorts ?? [];
  const ports =
    explicit.length > 0
      ? explicit
      : spec.kafka.bootstrapServers.map((s) => Number(s.slice(s.lastIndexOf(':') + 1)));
  return sortedUnique(ports);
}

/** Ports of the Alpaca endpoints in use. */
export function alpacaPorts(spec: AlpacaForwarderSpec): number[] {
  const urls = [spec.streamUrl, spec.dataUrl];
  if (spec.tradeUpdates.enabled && spec.tradeUpdates.streamUrl) urls.push(spec.tradeUpdates.streamUrl);
  return sortedUnique(urls.map(urlPort));
}

function sortedUnique(ports: number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}

function tcp(ports: readonly number[]): V1NetworkPolicyPort[] {
  return ports.map((port) => ({ protocol: 'TCP', port }));
}

function selector(s: SelectorSpec): V1LabelSelector {
  const out: V1LabelSelector = {};
  if (s.matchLabels) {
    const labels: Record<string, string> = {};
    for (const k of Object.keys(s.matchLabels).sort()) {
      const v = s.matchLabels[k];
      if (v !== undefined) labels[k] = v;
    }
    out.matchLabels = labels;
  }
  if (s.matchExpressions) {
    out.matchExpressions = s.matchExpressions.map((e) => ({
      key: e.key,
      operator: e.operator,
      ...(e.values ? { values: [...e.values] } : {}),
    }));
  }
  return out;
}

function egress(spec: AlpacaForwarderSpec, settings: OperatorSettings): V1NetworkPolicyEgressRule[] {
  const rules: V1NetworkPolicyEgressRule[] = [
    {
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    },
    {
      to: spec.networkPolicy.alpacaEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ports: tcp(alpacaPorts(spec)),
    },
  ];
  if (spec.symbolsFrom) {
    rules.push({
      to: [{ namespaceSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: tcp([urlPort(spec.symbolsFrom.url)]),
    });
  }
  rules.push({
    to: [{ namespaceSelector: selector(spec.networkPolicy.kafkaNamespaceSelector) }],
    ports: tcp(kafkaPorts(spec)),
  });
  rules.push({
    to: settings.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ports: tcp(sortedUnique([...settings.apiServerPorts])),
  });
  return rules;
}

function ingress(spec: AlpacaForwarderSpec, settings: OperatorSettings): V1NetworkPolicyIngressRule[] {
  const rules: V1NetworkPolicyIngressRule[] = [
    {
      _from: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': settings.operatorNamespace } } },
      ],
      ports: tcp([FORWARDER_POD.healthPort]),
    },
  ];
  const metrics = spec.networkPolicy.metricsNamespaceSelector;
  if (metrics) {
    rules.push({
      _from: [{ namespaceSelector: selector(metrics) }],
      ports: tcp([FORWARDER_POD.metricsPort]),
    });
  }
  return rules;
}

export function buildNetworkPolicy(
  af: AlpacaForwarder,
  settings: OperatorSettings,
): V1NetworkPolicy | undefined {
  if (!af.spec.networkPolicy.enabled) return undefined;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(af, 'network'),
    spec: {
      podSelector: { matchLabels: selectorLabels(af) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingress(af.spec, settings),
      egress: egress(af.spec, settings),
    },
  };
}
