/**
 * Test fixtures: AlpacaForwarder objects defaulted exactly as the API server would, by applying
 * the CRD's own structural-schema defaults (so tests see what the operator reads in a cluster).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { crdOpenApiSchema } from '../../operator/api/type-schema.ts';
import type { AlpacaForwarder, AlpacaForwarderStatus } from '../../operator/api/types.ts';
import type { OperatorSettings } from '../../operator/desired/settings.ts';
import { DEFAULT_SETTINGS } from '../../operator/desired/settings.ts';

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

const CRD = parse(
  readFileSync(
    fileURLToPath(new URL('../../crds/alpacaforwarders.torghut.io.yaml', import.meta.url)),
    'utf8',
  ),
);
const ROOT = crdOpenApiSchema(CRD);

/** Structural defaulting: fill absent properties that have a default, then recurse. */
export function applyDefaults(value: unknown, schema: Node): unknown {
  if (isNode(value) && isNode(schema.properties)) {
    const out: Node = { ...value };
    for (const [k, child] of Object.entries(schema.properties)) {
      if (!isNode(child)) continue;
      if (out[k] === undefined && 'default' in child) out[k] = structuredClone(child.default);
      if (out[k] !== undefined) out[k] = applyDefaults(out[k], child);
    }
    return out;
  }
  if (Array.isArray(value) && isNode(schema.items))
    return value.map((v) => applyDefaults(v, schema.items as Node));
  return value;
}

export const SECRET_VALUES = {
  keyId: 'PKTESTKEYID0000000001',
  secretKey: 'sEcReT-aLpAcA-vAlUe-0123456789abcdef',
  kafkaPassword: 'kafka-pass-W0rd-never-logged',
} as const;

export interface FixtureOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  spec?: Node;
  status?: AlpacaForwarderStatus;
}

/** A defaulted resource; `spec` members replace the base spec's top-level members. */
export function forwarder(opts: FixtureOptions = {}): AlpacaForwarder {
  const spec = {
    symbols: ['AAPL', 'MSFT'],
    credentialsSecretRef: { name: 'alpaca-creds' },
    kafka: { bootstrapServers: ['kafka-bootstrap.kafka.svc:9092'] },
    ...(opts.spec ?? {}),
  };
  const raw = {
    apiVersion: 'torghut.io/v1alpha1',
    kind: 'AlpacaForwarder',
    metadata: {
      name: opts.name ?? 'equities',
      namespace: opts.namespace ?? 'torghut',
      uid: opts.uid ?? '11111111-2222-3333-4444-555555555555',
      generation: opts.generation ?? 3,
      creationTimestamp: opts.creationTimestamp ?? '2026-11-01T10:00:00Z',
      // What Argo CD and users put on the resource: never to be copied to children.
      labels: { 'app.kubernetes.io/instance': 'argocd-app-torghut', team: 'trading' },
      annotations: {
        'argocd.argoproj.io/tracking-id': 'torghut:torghut.io/AlpacaForwarder:torghut/equities',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
      },
    },
    spec,
    ...(opts.status ? { status: opts.status } : {}),
  };
  return applyDefaults(raw, ROOT) as AlpacaForwarder;
}

export const SETTINGS: OperatorSettings = {
  ...DEFAULT_SETTINGS,
  operatorNamespace: 'torghut-system',
  defaultImage: 'registry.example/torghut/alpaca-forwarder:1.0.0',
};
