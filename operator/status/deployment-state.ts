/**
 * What the status and the restart policy need from the forwarder Deployment, derived purely from
 * the object the API server returned.
 *
 * "Rollout in progress" deliberately ignores readiness: a forwarder stuck on 406 is never ready,
 * and the restart policy must still be able to act. It means: the Deployment controller has not
 * seen the latest spec, or not every wanted pod is from the current template, or pods of an old
 * template are still counted.
 */
import type { V1Deployment } from '@kubernetes/client-node';

export interface DeploymentState {
  exists: boolean;
  rolloutInProgress: boolean;
  /** spec.replicas (0 when suspended or held). */
  desiredReplicas: number;
  readyReplicas: number;
  /** The Deployment controller reports ProgressDeadlineExceeded. */
  progressDeadlineExceeded: boolean;
}

export function deploymentState(d: V1Deployment | undefined): DeploymentState {
  if (!d) {
    return {
      exists: false,
      rolloutInProgress: true,
      desiredReplicas: 0,
      readyReplicas: 0,
      progressDeadlineExceeded: false,
    };
  }
  const desired = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const generation = d.metadata?.generation ?? 0;
  const observed = st.observedGeneration ?? 0;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const rolloutInProgress = observed < generation || updated < desired || total > updated;
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  return {
    exists: true,
    rolloutInProgress,
    desiredReplicas: desired,
    readyReplicas: st.readyReplicas ?? 0,
    progressDeadlineExceeded:
      progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
  };
}
