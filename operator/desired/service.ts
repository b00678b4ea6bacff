/**
 * ClusterIP Service in front of the forwarder's health (/healthz, /readyz) and metrics ports.
 * It publishes not-ready addresses: the forwarder's readinessProbe is /readyz itself, so a pod
 * stuck on a 406 is not Ready, and only this way does `PROBE_ADDRESS=service` (and a metrics
 * scrape through the Service) still reach the pod whose state matters most. Nothing routes
 * market data through this Service, so a not-ready endpoint never receives work it cannot do.
 */
import type { V1Service } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { childMetadata, selectorLabels } from './names.ts';
import { FORWARDER_POD } from './settings.ts';

export const HEALTH_PORT_NAME = 'health';
export const METRICS_PORT_NAME = 'metrics';

export function buildService(af: AlpacaForwarder): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(af, 'forwarder'),
    spec: {
      type: 'ClusterIP',
      publishNotReadyAddresses: true,
      selector: selectorLabels(af),
      ports: [
        {
          name: HEALTH_PORT_NAME,
          port: FORWARDER_POD.healthPort,
          targetPort: HEALTH_PORT_NAME,
          protocol: 'TCP',
        },
        {
          name: METRICS_PORT_NAME,
          port: FORWARDER_POD.metricsPort,
          targetPort: METRICS_PORT_NAME,
          protocol: 'TCP',
        },
      ],
    },
  };
}
