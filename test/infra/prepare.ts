/**
 * Installs (once, into the cache outside the repo) what the selected test infrastructure needs:
 * the Kafka broker's jars, the Kubernetes control-plane binaries, kubeconform (which validates
 * manifests against that control plane's OpenAPI), the Prometheus Operator's CRDs it serves
 * for that check, and Strimzi's KafkaTopic/KafkaUser CRDs. Run by scripts/test.sh
 * before the test runner so that slow first-time work is logged as its own step.
 */

import { ensureArgoCdApplicationCrd } from './go-tools/argocd-crds.ts';
import { ensureKubeconform } from './go-tools/index.ts';
import { ensureMonitoringCrds } from './go-tools/monitoring-crds.ts';
import { prepareKafka } from './kafka/index.ts';
import { prepareControlPlane } from './kube/index.ts';
import { selectedInfra } from './selection.ts';
import { ensureStrimziCrds } from './strimzi/crds.ts';

const parts = selectedInfra();
if (parts.has('kafka')) await prepareKafka();
if (parts.has('kube')) {
  await prepareControlPlane();
  const log = (line: string) => process.stderr.write(`[go-tools] ${line}\n`);
  await ensureKubeconform(log);
  await ensureMonitoringCrds(log);
  await ensureArgoCdApplicationCrd(log);
  // Strimzi's KafkaTopic/KafkaUser CRDs for the mode-strimzi tests (io.strimzi:api from Maven Central).
  await ensureStrimziCrds();
}
