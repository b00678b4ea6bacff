/**
 * PodMonitor (monitoring.coreos.com/v1, Prometheus Operator) scraping the forwarder pod's metrics
 * port. Rendered only when the cluster serves PodMonitors (discovered at the edge,
 * operator/kube/discovery.ts); never required. Adds the `alpacaforwarder` label (the resource's
 * name) the alerts and dashboards use beside the `namespace` and `pod` labels the Prometheus
 * Operator sets (docs/runbook.md "Labels").
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { childMetadata, LABEL_INSTANCE, selectorLabels } from './names.ts';
import { METRICS_PORT_NAME } from './service.ts';

export const METRICS_PATH = '/metrics';
export const SCRAPE_INTERVAL = '30s';
/** Label naming the AlpacaForwarder on every scraped forwarder series. */
export const RESOURCE_LABEL = 'alpacaforwarder';

export interface PodMonitor extends KubernetesObject {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PodMonitor';
  spec: {
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: Array<{
      port: string;
      path: string;
      interval: string;
      relabelings: Array<{ sourceLabels: string[]; targetLabel: string; action: 'replace' }>;
    }>;
  };
}

/** The Prometheus meta label of a pod label (non-alphanumerics become underscores). */
function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

export function buildPodMonitor(af: AlpacaForwarder): PodMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: childMetadata(af, 'forwarder'),
    spec: {
      selector: { matchLabels: selectorLabels(af) },
      podMetricsEndpoints: [
        {
          port: METRICS_PORT_NAME,
          path: METRICS_PATH,
          interval: SCRAPE_INTERVAL,
          relabelings: [
            { sourceLabels: [podLabelMeta(LABEL_INSTANCE)], targetLabel: RESOURCE_LABEL, action: 'replace' },
          ],
        },
      ],
    },
  };
}
