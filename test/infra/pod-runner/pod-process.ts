/**
 * Pure translation of a Pod's first container into a local process: command, environment
 * (values, Secret and ConfigMap references, downward-API fields), volumes to materialise, and the
 * container ports remapped to free loopback ports. Used by the local pod runner, which stands in
 * for a kubelet where none runs (the demo and the e2e tests on the loopback control plane).
 */
import path from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  type ApiServerEndpoint,
  SERVICE_ACCOUNT_MOUNT_PATH,
  SERVICE_ACCOUNT_VOLUME,
  type ServiceAccountFiles,
} from './service-account-paths.ts';

export interface ResolvedRefs {
  /** Secret data by name (already base64-decoded). */
  secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The pod's service-account token, CA and namespace; absent when it does not automount one. */
  serviceAccount?: ServiceAccountFiles;
}

export interface VolumeContent {
  /** Host directory the volume is materialised into. */
  hostDir: string;
  /** Files (name → content) for configMap/secret volumes; empty for emptyDir. */
  files: Record<string, string>;
  kind: 'configMap' | 'secret' | 'emptyDir' | 'serviceAccount';
  /** The source object's name, for configMap/secret volumes. */
  source?: string;
}

export interface ProcessPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  volumes: Map<string, VolumeContent>;
  /** Volume mounts, bound at their container paths in a private mount namespace (longest last). */
  mounts: Array<{ containerPath: string; hostPath: string }>;
  /** containerPort → host port. */
  ports: Map<number, number>;
  readiness?: { path: string; port: number };
  terminationGraceSeconds: number;
  /** Host paths the command needs (its code, its runtime): kept visible under any mount. */
  hostPaths: string[];
}

export interface LocalCommand {
  command: string;
  args: string[];
  /**
   * Host paths the command itself needs (the image's code and runtime, which locally live on the
   * host): re-bound at the same path when a volume mount (e.g. an emptyDir at /tmp) would hide
   * them, as when the repository is checked out under /tmp.
   */
  hostPaths?: string[];
}

export class PodConfigError extends Error {
  override name = 'PodConfigError';
}

export interface PlanInputs {
  pod: V1Pod;
  refs: ResolvedRefs;
  /** Where this pod's volumes live on the host. */
  podDir: string;
  /** Maps the container image to the local command that the image would run. */
  commandForImage(image: string): LocalCommand;
  /** A free host port for each container port, decided by the caller. */
  hostPortFor(containerPort: number): number;
  /** The API server as a container sees it (KUBERNETES_SERVICE_HOST/PORT), as a kubelet sets it. */
  apiServer?: Pick<ApiServerEndpoint, 'host' | 'port'>;
}

export function planProcess(inputs: PlanInputs): ProcessPlan {
  const { pod, refs, podDir } = inputs;
  const container = pod.spec?.containers?.[0];
  if (container === undefined) throw new PodConfigError('pod has no containers');
  if (container.image === undefined) throw new PodConfigError(`container ${container.name} has no image`);
  const base = inputs.commandForImage(container.image);

  const ports = new Map<number, number>();
  for (const p of container.ports ?? []) ports.set(p.containerPort, inputs.hostPortFor(p.containerPort));

  const volumes = planVolumes(pod, refs, podDir);
  const mounts = mountPaths(container, volumes);
  if (refs.serviceAccount) addServiceAccount(refs.serviceAccount, podDir, volumes, mounts);
  // The kubelet's service env vars come first; the container's own env overrides them.
  const serviceEnv: Record<string, string> = inputs.apiServer
    ? { KUBERNETES_SERVICE_HOST: inputs.apiServer.host, KUBERNETES_SERVICE_PORT: inputs.apiServer.port }
    : {};
  const env = resolveEnv(pod, container, refs, ports, serviceEnv);

  const probe = container.readinessProbe?.httpGet;
  let readiness: ProcessPlan['readiness'];
  if (probe !== undefined) {
    const containerPort = resolvePort(container, probe.port);
    const hostPort = ports.get(containerPort);
    if (hostPort === undefined)
      throw new PodConfigError(`readiness probe port ${String(probe.port)} is not a container port`);
    readiness = { path: probe.path ?? '/', port: hostPort };
  }

  return {
    command: base.command,
    args: [...base.args, ...(container.args ?? [])],
    env,
    volumes,
    mounts,
    ports,
    ...(readiness ? { readiness } : {}),
    terminationGraceSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
    hostPaths: base.hostPaths ?? [],
  };
}

/**
 * The service-account volume at its well-known path, unless the container mounts something there
 * itself (then the kubelet skips it too).
 */
function addServiceAccount(
  files: ServiceAccountFiles,
  podDir: string,
  volumes: Map<string, VolumeContent>,
  mounts: ProcessPlan['mounts'],
): void {
  if (mounts.some((m) => m.containerPath === SERVICE_ACCOUNT_MOUNT_PATH)) return;
  if (volumes.has(SERVICE_ACCOUNT_VOLUME))
    throw new PodConfigError(
      `volume name ${SERVICE_ACCOUNT_VOLUME} is reserved for the service-account token`,
    );
  const hostDir = path.join(podDir, 'volumes', SERVICE_ACCOUNT_VOLUME);
  volumes.set(SERVICE_ACCOUNT_VOLUME, { hostDir, kind: 'serviceAccount', files: { ...files } });
  mounts.push({ containerPath: SERVICE_ACCOUNT_MOUNT_PATH, hostPath: hostDir });
  mounts.sort((a, b) => a.containerPath.length - b.containerPath.length);
}

function resolvePort(container: V1Container, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = container.ports?.find((p) => p.name === port);
  if (named === undefined)
    throw new PodConfigError(`named port ${port} not declared by container ${container.name}`);
  return named.containerPort;
}

function planVolumes(pod: V1Pod, refs: ResolvedRefs, podDir: string): Map<string, VolumeContent> {
  const out = new Map<string, VolumeContent>();
  for (const v of pod.spec?.volumes ?? []) {
    const hostDir = path.join(podDir, 'volumes', v.name);
    if (v.configMap) {
      const data = refs.configMaps.get(v.configMap.name ?? '');
      if (data === undefined) {
        if (v.configMap.optional) continue;
        throw new PodConfigError(`configmap "${v.configMap.name}" not found (volume ${v.name})`);
      }
      out.set(v.name, {
        hostDir,
        kind: 'configMap',
        source: v.configMap.name,
        files: selectItems(data, v.configMap.items),
      });
    } else if (v.secret) {
      const name = v.secret.secretName ?? '';
      const data = refs.secrets.get(name);
      if (data === undefined) {
        if (v.secret.optional) continue;
        throw new PodConfigError(`secret "${name}" not found (volume ${v.name})`);
      }
      out.set(v.name, { hostDir, kind: 'secret', source: name, files: selectItems(data, v.secret.items) });
    } else if (v.emptyDir) {
      out.set(v.name, { hostDir, kind: 'emptyDir', files: {} });
    } else {
      throw new PodConfigError(`volume ${v.name}: only configMap, secret and emptyDir volumes run locally`);
    }
  }
  return out;
}

function selectItems(
  data: Readonly<Record<string, string>>,
  items: ReadonlyArray<{ key: string; path: string }> | undefined,
): Record<string, string> {
  if (items === undefined || items.length === 0) return { ...data };
  const out: Record<string, string> = {};
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined)
      throw new PodConfigError(`key "${item.key}" missing for volume item ${item.path}`);
    out[item.path] = value;
  }
  return out;
}

/** Every volume mount of the container, parents before nested mounts. */
function mountPaths(container: V1Container, volumes: Map<string, VolumeContent>): ProcessPlan['mounts'] {
  const out: ProcessPlan['mounts'] = [];
  for (const m of container.volumeMounts ?? []) {
    const vol = volumes.get(m.name);
    if (vol === undefined) continue;
    const hostPath = m.subPath ? path.join(vol.hostDir, m.subPath) : vol.hostDir;
    out.push({ containerPath: m.mountPath.replace(/\/+$/, ''), hostPath });
  }
  return out.sort((a, b) => a.containerPath.length - b.containerPath.length);
}

function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  refs: ResolvedRefs,
  ports: Map<number, number>,
  base: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.value !== undefined) {
      value = e.value;
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      value = refs.secrets.get(ref.name ?? '')?.[ref.key];
      if (value === undefined && !ref.optional) {
        throw new PodConfigError(`env ${e.name}: secret "${ref.name}" key "${ref.key}" not found`);
      }
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      value = refs.configMaps.get(ref.name ?? '')?.[ref.key];
      if (value === undefined && !ref.optional) {
        throw new PodConfigError(`env ${e.name}: configmap "${ref.name}" key "${ref.key}" not found`);
      }
    } else if (e.valueFrom?.fieldRef) {
      value = fieldRef(pod, e.valueFrom.fieldRef.fieldPath);
    } else if (e.valueFrom) {
      throw new PodConfigError(
        `env ${e.name}: only value, secretKeyRef, configMapKeyRef and fieldRef run locally`,
      );
    }
    if (value === undefined) continue;
    value = value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
    env[e.name] = remapPort(e.name, value, ports);
  }
  return env;
}

/** A *_PORT variable that names a container port is moved to that port's host port. */
function remapPort(name: string, value: string, ports: Map<number, number>): string {
  if (!/PORT$/.test(name) || !/^\d+$/.test(value)) return value;
  const host = ports.get(Number(value));
  return host === undefined ? value : String(host);
}

function fieldRef(pod: V1Pod, fieldPath: string): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name;
    case 'metadata.namespace':
      return pod.metadata?.namespace;
    case 'metadata.uid':
      return pod.metadata?.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName;
    case 'status.podIP':
    case 'status.hostIP':
      return '127.0.0.1';
    default: {
      const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
      if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2] ?? ''];
      throw new PodConfigError(`fieldRef ${fieldPath} is not supported locally`);
    }
  }
}
