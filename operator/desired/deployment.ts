/**
 * The forwarder Deployment (design §4.1): one replica (0 when suspended or held), Recreate, a
 * locked-down non-root container, probes on the forwarder's health port, secrets only as
 * secretKeyRef env, the config file mounted from the ConfigMap, and pod-template annotations that
 * roll the pod when the rolling config, a Secret or an operator restart changes.
 */
import type { V1Container, V1Deployment, V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { CONFIG_FILE_ENV } from '../../contracts/config-file.ts';
import type { AlpacaForwarder } from '../api/types.ts';
import type { DesiredInputs } from './inputs.ts';
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_RESTARTED_AT,
  ANNOTATION_SECRET_HASH,
  childLabels,
  childMetadata,
  childName,
  selectorLabels,
} from './names.ts';
import { HEALTH_PORT_NAME, METRICS_PORT_NAME } from './service.ts';
import { FORWARDER_POD, type OperatorSettings } from './settings.ts';
import { STRIMZI_USER_SECRET_KEYS, strimziUserName, usesStrimziUser } from './strimzi.ts';

export const CONTAINER_NAME = 'forwarder';

export interface DeploymentInputs extends DesiredInputs {
  /** configHash() of the rendered config file (operator/desired/config-file.ts). */
  configHash: string;
}

function secretEnv(name: string, secret: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional: false } } };
}

function env(af: AlpacaForwarder): V1EnvVar[] {
  const { credentialsSecretRef: creds, kafka } = af.spec;
  const out: V1EnvVar[] = [
    { name: CONFIG_FILE_ENV, value: `${FORWARDER_POD.configDir}/${FORWARDER_POD.configFileName}` },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'NODE_ENV', value: 'production' },
    // Ports live beside the container's `ports`, not in the config file, so whatever runs the
    // container (a kubelet, or the local pod runner that remaps them) sees them in one place.
    { name: 'HEALTH_PORT', value: String(FORWARDER_POD.healthPort) },
    { name: 'METRICS_PORT', value: String(FORWARDER_POD.metricsPort) },
    secretEnv('ALPACA_KEY_ID', creds.name, creds.keyIdKey),
    secretEnv('ALPACA_SECRET_KEY', creds.name, creds.secretKeyKey),
  ];
  if (kafka.sasl) {
    if (kafka.sasl.secretRef.usernameKey) {
      out.push(secretEnv('KAFKA_SASL_USER', kafka.sasl.secretRef.name, kafka.sasl.secretRef.usernameKey));
    }
    out.push(secretEnv('KAFKA_SASL_PASSWORD', kafka.sasl.secretRef.name, kafka.sasl.secretRef.passwordKey));
  }
  if (usesStrimziUser(af) && kafka.topics.strimzi?.authentication === 'scram-sha-512') {
    out.push(secretEnv('KAFKA_SASL_PASSWORD', strimziUserName(af), STRIMZI_USER_SECRET_KEYS.password));
  }
  return out;
}

function volumes(af: AlpacaForwarder): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [
    // Mounted as a directory (no subPath) so ConfigMap updates (symbols) reach the running pod.
    { name: 'config', configMap: { name: childName(af), defaultMode: 0o444 } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'config', mountPath: FORWARDER_POD.configDir, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  const ca = af.spec.kafka.tls?.caSecretRef;
  if (ca) {
    volumes.push({
      name: 'kafka-ca',
      secret: {
        secretName: ca.name,
        items: [{ key: ca.key, path: FORWARDER_POD.kafkaCaFileName }],
        defaultMode: 0o444,
      },
    });
    mounts.push({ name: 'kafka-ca', mountPath: FORWARDER_POD.kafkaCaDir, readOnly: true });
  }
  const headers = af.spec.symbolsFrom?.headersFrom ?? [];
  if (headers.length > 0) {
    // One file per header, named after it, from as many Secrets as the headers name (in order).
    const bySecret = new Map<string, { key: string; path: string }[]>();
    for (const h of headers) {
      const items = bySecret.get(h.secretKeyRef.name) ?? [];
      items.push({ key: h.secretKeyRef.key, path: h.name });
      bySecret.set(h.secretKeyRef.name, items);
    }
    volumes.push({
      name: 'symbols-headers',
      projected: {
        defaultMode: 0o440,
        sources: [...bySecret].map(([name, items]) => ({ secret: { name, items, optional: false } })),
      },
    });
    mounts.push({ name: 'symbols-headers', mountPath: FORWARDER_POD.symbolsHeadersDir, readOnly: true });
  }
  if (usesStrimziUser(af) && af.spec.kafka.topics.strimzi?.authentication === 'tls') {
    // The Secret the Strimzi User Operator writes for the KafkaUser (mutual TLS).
    volumes.push({
      name: 'kafka-client',
      secret: {
        secretName: strimziUserName(af),
        items: [
          { key: STRIMZI_USER_SECRET_KEYS.cert, path: STRIMZI_USER_SECRET_KEYS.cert },
          { key: STRIMZI_USER_SECRET_KEYS.key, path: STRIMZI_USER_SECRET_KEYS.key },
        ],
        defaultMode: 0o440,
      },
    });
    mounts.push({ name: 'kafka-client', mountPath: FORWARDER_POD.kafkaClientDir, readOnly: true });
  }
  return { volumes, mounts };
}

function container(af: AlpacaForwarder, settings: OperatorSettings, mounts: V1VolumeMount[]): V1Container {
  const { requests, limits } = af.spec.resources;
  return {
    name: CONTAINER_NAME,
    image: af.spec.image ?? settings.defaultImage,
    imagePullPolicy: settings.imagePullPolicy,
    env: env(af),
    ports: [
      { name: HEALTH_PORT_NAME, containerPort: FORWARDER_POD.healthPort, protocol: 'TCP' },
      { name: METRICS_PORT_NAME, containerPort: FORWARDER_POD.metricsPort, protocol: 'TCP' },
    ],
    // /healthz = event loop alive; /readyz = streaming (design §3.2).
    startupProbe: {
      httpGet: { path: '/healthz', port: HEALTH_PORT_NAME },
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: 30,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: HEALTH_PORT_NAME },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: HEALTH_PORT_NAME },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 2,
    },
    resources: {
      ...(requests ? { requests: stringQuantities(requests) } : {}),
      ...(limits ? { limits: stringQuantities(limits) } : {}),
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: FORWARDER_POD.runAsUser,
      runAsGroup: FORWARDER_POD.runAsUser,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: mounts,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** Quantities as strings (the API server returns them so; keeps SSA diffs empty). */
function stringQuantities(q: Record<string, number | string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(q).sort()) {
    const v = q[key];
    if (v !== undefined) out[key] = String(v);
  }
  return out;
}

/** The conventional annotations plain Prometheus (kubernetes_sd_configs role pod) scrapes by. */
export const PROMETHEUS_ANNOTATIONS: Readonly<Record<string, string>> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(FORWARDER_POD.metricsPort),
  'prometheus.io/path': '/metrics',
};

export function podAnnotations(af: AlpacaForwarder, inputs: DeploymentInputs): Record<string, string> {
  const user = af.spec.podTemplate?.annotations ?? {};
  // The user's podTemplate annotations may override prometheus.io/* (e.g. scrape: "false").
  const out: Record<string, string> = { ...PROMETHEUS_ANNOTATIONS };
  for (const key of Object.keys(user).sort()) {
    const v = user[key];
    // torghut.io/ keys are reserved by a CRD rule; skipped here too so a user can never override ours.
    if (v !== undefined && !key.startsWith('torghut.io/')) out[key] = v;
  }
  out[ANNOTATION_CONFIG_HASH] = inputs.configHash;
  out[ANNOTATION_SECRET_HASH] = inputs.secretHash;
  if (inputs.restartedAt) out[ANNOTATION_RESTARTED_AT] = inputs.restartedAt;
  return out;
}

/**
 * The Deployment with the pod-template annotation restartedAt set to a new value (the 406
 * policy's restart): the same object buildDeployment gives for these inputs with that restartedAt.
 */
export function withRestartedAt(d: V1Deployment, restartedAt: string): V1Deployment {
  const template = d.spec?.template;
  if (!d.spec || !template) throw new Error('withRestartedAt: the Deployment has no pod template');
  const annotations = { ...template.metadata?.annotations, [ANNOTATION_RESTARTED_AT]: restartedAt };
  return {
    ...d,
    spec: { ...d.spec, template: { ...template, metadata: { ...template.metadata, annotations } } },
  };
}

export function desiredReplicas(af: AlpacaForwarder, inputs: Pick<DesiredInputs, 'hold'>): 0 | 1 {
  return af.spec.suspend || inputs.hold ? 0 : 1;
}

export function buildDeployment(
  af: AlpacaForwarder,
  settings: OperatorSettings,
  inputs: DeploymentInputs,
): V1Deployment {
  const { volumes: vols, mounts } = volumes(af);
  const pt = af.spec.podTemplate;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(af, 'forwarder'),
    spec: {
      replicas: desiredReplicas(af, inputs),
      // Never two pods at once: a second Alpaca connection on one key gets 406 (design §4.1).
      strategy: { type: 'Recreate' },
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: selectorLabels(af) },
      template: {
        metadata: { labels: childLabels(af, 'forwarder'), annotations: podAnnotations(af, inputs) },
        spec: {
          serviceAccountName: childName(af),
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: FORWARDER_POD.terminationGracePeriodSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: FORWARDER_POD.runAsUser,
            runAsGroup: FORWARDER_POD.runAsUser,
            fsGroup: FORWARDER_POD.runAsUser,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container(af, settings, mounts)],
          volumes: vols,
          ...(pt?.nodeSelector ? { nodeSelector: definedEntries(pt.nodeSelector) } : {}),
          ...(pt?.tolerations ? { tolerations: pt.tolerations.map((t) => ({ ...t })) } : {}),
        },
      },
    },
  };
}

function definedEntries(map: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) {
    const v = map[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}
