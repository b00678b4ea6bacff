/**
 * Prometheus on the local stack (the demo): scrapes the operator and every forwarder pod the
 * local pod runner runs (on the host port its metrics port got), with the labels the operator's
 * PodMonitor would give them, and evaluates the project's alert rules.
 */

import { LABEL_INSTANCE } from '../../../operator/desired/names.ts';
import { FORWARDER_POD } from '../../../operator/desired/settings.ts';
import { rulesFileText } from '../../../scripts/generate-monitoring.ts';
import { type RunningPrometheus, startPrometheus } from '../prometheus/index.ts';
import type { LocalStack } from './stack.ts';

export function startStackPrometheus(stack: LocalStack): Promise<RunningPrometheus> {
  return startPrometheus({
    scrapeInterval: '5s',
    targets: [
      {
        job: 'alpaca-forwarder-operator',
        address: `127.0.0.1:${stack.operator.httpPort}`,
        labels: { namespace: 'alpaca-forwarder-system', pod: 'operator' },
        honorLabels: true,
      },
    ],
    discovered: {
      job: 'alpaca-forwarder',
      targets: () =>
        stack.runner.pods().flatMap((p) => {
          const port = p.hostPorts.get(FORWARDER_POD.metricsPort);
          const name = p.labels[LABEL_INSTANCE];
          return port === undefined || name === undefined
            ? []
            : [
                {
                  address: `127.0.0.1:${port}`,
                  labels: { namespace: p.namespace, alpacaforwarder: name, pod: p.name },
                },
              ];
        }),
    },
    rules: [rulesFileText()],
  });
}
