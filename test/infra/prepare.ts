/**
 * Installs (once, into the cache outside the repo) what the selected test infrastructure needs:
 * the Kafka broker's jars and the Kubernetes control-plane binaries. Run by scripts/test.sh
 * before the test runner so that slow first-time work is logged as its own step.
 */
import { prepareKafka } from './kafka/index.ts';
import { prepareControlPlane } from './kube/index.ts';
import { selectedInfra } from './selection.ts';

const parts = selectedInfra();
if (parts.has('kafka')) await prepareKafka();
if (parts.has('kube')) await prepareControlPlane();
