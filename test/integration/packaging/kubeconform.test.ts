/**
 * Every manifest in config/ (each Kustomize overlay rendered, and every plain manifest file) and
 * every child the operator's desired-state builders render (plus the status it writes) validates
 * with kubeconform in strict mode against schemas taken from a test API server's own OpenAPI
 * (GET /openapi/v2), converted to kubeconform's layout (test/infra/kubeconform/openapi-schemas.ts).
 * The API server is a private one serving the project's CRD and the Prometheus Operator's
 * PodMonitor and PrometheusRule CRDs (generated from that project's Go types,
 * test/infra/go-tools/monitoring-crds.ts) and Argo CD's Application CRD (from its Go module,
 * test/infra/go-tools/argocd-crds.ts): private, so that other test files' operators never
 * discover PodMonitors. Strict: an unknown field is an error, as a typo in a manifest would be
 * silently pruned by the API server.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dumpYaml, type KubernetesObject } from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { AlpacaForwarder } from '../../../operator/api/types.ts';
import { buildChildren } from '../../../operator/desired/children.ts';
import { computeStatus } from '../../../operator/status/compute.ts';
import { ensureArgoCdApplicationCrd } from '../../infra/go-tools/argocd-crds.ts';
import { ensureKubeconform } from '../../infra/go-tools/index.ts';
import { ensureMonitoringCrds } from '../../infra/go-tools/monitoring-crds.ts';
import { type ControlPlane, KUBE_VERSION, startPrivateControlPlane } from '../../infra/kube/index.ts';
import { waitForCrdEstablished } from '../../infra/kube/k8s-helpers.ts';
import {
  kubeconformSchemas,
  type OpenApiV2,
  schemaFileName,
  strictDirName,
} from '../../infra/kubeconform/openapi-schemas.ts';
import { kubectl as kubectlBinary } from '../../support/kustomize.ts';
import { forwarder, SETTINGS } from '../../support/operator-fixtures.ts';
import { projectRoot, run } from '../../support/tools.ts';

const CRD_FILE = 'crds/alpacaforwarders.torghut.io.yaml';
const FIELD_MANAGER = 'kubeconform-test';
/**
 * Kinds whose CRDs the test API server does not serve, so it has no schema for them: none. Any
 * kind without a schema fails the test.
 */
const NOT_SERVED: readonly string[] = [];
const SERVED_CRDS = [
  'alpacaforwarders.torghut.io',
  'applications.argoproj.io',
  'podmonitors.monitoring.coreos.com',
  'prometheusrules.monitoring.coreos.com',
];
const log = (line: string) => process.stderr.write(`[kubeconform test] ${line}\n`);
/** Kustomize directories to render; every other directory with a kustomization is a Component. */
const OVERLAYS = ['config/default', 'config/with-monitoring', 'config/argocd/operator', 'config/samples'];

interface KubeconformResult {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
  validationErrors?: { path: string; msg: string }[] | null;
}

type Obj = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: string } };

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(full)));
    else if (/\.ya?ml$/.test(entry.name) || entry.name === 'Kustomization') out.push(full);
  }
  return out.sort();
}

function isManifest(o: unknown): o is Obj {
  if (typeof o !== 'object' || o === null) return false;
  const { apiVersion, kind } = o as Obj;
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    !apiVersion.startsWith('kustomize.config.k8s.io/')
  );
}

describe('kubeconform (strict) against the test API server OpenAPI', () => {
  let plane: ControlPlane | undefined;
  let work: string;
  let kubeconform: string;
  const k = async (args: readonly string[]): Promise<string> => {
    const r = await run(kubectlBinary(), [`--kubeconfig=${plane?.kubeconfigPath}`, ...args]);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  /** Runs kubeconform over files; every result, valid ones included (-verbose). */
  const validate = async (files: readonly string[]): Promise<KubeconformResult[]> => {
    const r = await run(kubeconform, [
      '-strict',
      '-summary',
      '-verbose',
      '-output',
      'json',
      '-kubernetes-version',
      KUBE_VERSION,
      '-schema-location',
      path.join(work, 'schemas'),
      ...(NOT_SERVED.length > 0 ? ['-skip', NOT_SERVED.join(',')] : []),
      ...files,
    ]);
    assert.ok(r.code === 0 || r.code === 1, `kubeconform exit ${r.code}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { resources: KubeconformResult[] }).resources;
  };

  const problems = (results: readonly KubeconformResult[]) =>
    results
      .filter((r) => r.status !== 'statusValid' && r.status !== 'statusSkipped')
      .map(
        (r) =>
          `${path.relative(work, r.filename)} ${r.kind} ${r.name}: ${r.msg} ${JSON.stringify(r.validationErrors ?? [])}`,
      );

  before(async () => {
    kubeconform = await ensureKubeconform(log);
    const monitoringCrds = [...(await ensureMonitoringCrds(log)), await ensureArgoCdApplicationCrd(log)];
    work = await mkdtemp(path.join(os.tmpdir(), 'kubeconform-'));
    const started = await startPrivateControlPlane({ log });
    plane = started;
    for (const file of [path.join(projectRoot, CRD_FILE), ...monitoringCrds])
      await k(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file]);
    for (const crd of SERVED_CRDS)
      await waitForCrdEstablished(started.kubeConfig(), crd, { timeoutMs: 120_000 });
    // The API server publishes a new CRD's OpenAPI asynchronously after Established: read until
    // it carries this CRD's newest status field (so the schema is this revision's, not an older one).
    const crd = parse(await readFile(path.join(projectRoot, CRD_FILE), 'utf8'));
    const statusFields = Object.keys(
      crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties as object,
    );
    let doc: OpenApiV2 | undefined;
    for (let attempt = 0; attempt < 120 && doc === undefined; attempt++) {
      const got = JSON.parse(await k(['get', '--raw', '/openapi/v2'])) as OpenApiV2;
      const af = Object.values(got.definitions).find((d) =>
        JSON.stringify(d['x-kubernetes-group-version-kind'] ?? []).includes('"kind":"AlpacaForwarder"'),
      );
      const published = Object.keys(
        ((af?.properties as Record<string, { properties?: object }> | undefined)?.status?.properties ??
          {}) as object,
      );
      const kinds = JSON.stringify(
        Object.values(got.definitions).map((d) => d['x-kubernetes-group-version-kind'] ?? []),
      );
      const monitoring = ['PodMonitor', 'PrometheusRule'].every((kind) => kinds.includes(`"kind":"${kind}"`));
      if (monitoring && statusFields.every((f) => published.includes(f))) doc = got;
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.ok(doc, 'the API server never published the CRDs in /openapi/v2');
    const dir = path.join(work, 'schemas', strictDirName(KUBE_VERSION));
    await mkdir(dir, { recursive: true });
    const schemas = kubeconformSchemas(doc);
    for (const [file, schema] of schemas) await writeFile(path.join(dir, file), JSON.stringify(schema));
    assert.ok(
      schemas.has(schemaFileName({ group: 'torghut.io', version: 'v1alpha1', kind: 'AlpacaForwarder' })),
    );
    assert.ok(schemas.has(schemaFileName({ group: 'apps', version: 'v1', kind: 'Deployment' })));
    assert.ok(
      schemas.has(schemaFileName({ group: 'monitoring.coreos.com', version: 'v1', kind: 'PodMonitor' })),
    );
  });

  after(async () => {
    await plane?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the schemas are strict: an unknown field, a wrong type and an unknown kind are reported', async () => {
    const file = path.join(work, 'broken.yaml');
    await writeFile(
      file,
      [
        stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'typo' },
          spec: { replica: 1, selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [] } } },
        }),
        stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'bad' },
          spec: { ports: 'eighty' },
        }),
        stringify({
          apiVersion: 'torghut.io/v1alpha1',
          kind: 'AlpacaForwarder',
          metadata: { name: 'x' },
          spec: { symbol: ['AAPL'] },
        }),
        stringify({ apiVersion: 'example.invalid/v1', kind: 'Widget', metadata: { name: 'w' } }),
      ].join('---\n'),
    );
    const results = await validate([file]);
    const byKind = new Map(results.map((r) => [r.kind, r]));
    assert.deepEqual([...byKind].map(([kind, r]) => [kind, r.status]).sort(), [
      ['AlpacaForwarder', 'statusInvalid'],
      ['Deployment', 'statusInvalid'],
      ['Service', 'statusInvalid'],
      ['Widget', 'statusError'],
    ]);
    assert.match(String(byKind.get('Deployment')?.msg), /'replica' not allowed/);
    assert.match(String(byKind.get('AlpacaForwarder')?.msg), /'symbol' not allowed/);
  });

  test('every manifest in config/: each overlay rendered by Kustomize and each plain manifest file', async () => {
    const files: string[] = [];
    for (const overlay of OVERLAYS) {
      const r = await run(kubectlBinary(), ['kustomize', path.join(projectRoot, overlay)]);
      assert.equal(r.code, 0, `kubectl kustomize ${overlay}: ${r.stderr}`);
      const file = path.join(work, `${overlay.replaceAll('/', '_')}.yaml`);
      await writeFile(file, r.stdout);
      files.push(file);
    }
    let plain = 0;
    for (const file of await yamlFiles(path.join(projectRoot, 'config'))) {
      const docs = parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJS() as unknown);
      if (docs.some(isManifest)) {
        files.push(file);
        plain += docs.filter(isManifest).length;
      }
    }
    const results = await validate(files);
    assert.deepEqual(problems(results), []);
    const skipped = results.filter((r) => r.status === 'statusSkipped').map((r) => r.kind);
    assert.deepEqual([...new Set(skipped)].sort(), [...NOT_SERVED].sort());
    const valid = results.filter((r) => r.status === 'statusValid');
    // Every plain manifest is counted once more through its overlay: far more than the files alone.
    assert.ok(valid.length > plain, `${valid.length} valid of ${results.length}`);
    for (const kind of [
      'CustomResourceDefinition',
      'Deployment',
      'ClusterRole',
      'AlpacaForwarder',
      'Secret',
      'PodMonitor',
      'PrometheusRule',
    ])
      assert.ok(
        valid.some((r) => r.kind === kind),
        `no ${kind} validated`,
      );
  });

  test("every rendered child, and the operator's status, for the samples' specs and the fixture", async () => {
    const samples: AlpacaForwarder[] = [];
    for (const file of await yamlFiles(path.join(projectRoot, 'config/samples'))) {
      for (const d of parseAllDocuments(await readFile(file, 'utf8'))) {
        const o = d.toJS() as Obj & { spec?: Record<string, unknown> };
        if (o?.kind === 'AlpacaForwarder') samples.push(forwarder({ name: o.metadata?.name, spec: o.spec }));
      }
    }
    assert.ok(samples.length >= 2, 'config/samples has AlpacaForwarders');
    const variants = [forwarder(), forwarder({ spec: { suspend: true } }), ...samples];
    const docs: KubernetesObject[] = [];
    for (const af of variants) {
      for (const podMonitor of [false, true]) {
        const children = buildChildren(af, SETTINGS, {
          secretHash: 'sha256:0123',
          leaseName: 'alpaca-forwarder-0123456789abcdef',
          restartedAt: '2026-11-02T14:00:00Z',
          podMonitor,
        });
        docs.push(...children.apply);
      }
      const status = computeStatus({
        af,
        now: new Date('2026-11-02T14:00:00Z'),
        probe: {
          kind: 'body',
          httpStatus: 503,
          body: {
            ready: false,
            error_class: 'alpaca_406_second_connection',
            reason: 'alpaca_406_connection_limit',
            gates: { alpaca_ws: false, kafka: true, trade_updates: false },
            since: '2026-11-02T13:00:00Z',
            detail: {
              lease: { enabled: true, held: true, holder: `${af.metadata.name}-forwarder-7d9c-abcde` },
            },
          },
        },
        deployment: {
          exists: true,
          rolloutInProgress: false,
          desiredReplicas: 1,
          readyReplicas: 0,
          progressDeadlineExceeded: false,
        },
        credentials: { inUse: false },
        restart: { action: 'none' },
      });
      assert.ok(status.leaseHolder);
      docs.push({ ...af, status } as KubernetesObject);
    }
    // As on the wire: client-node's serializer (what KubernetesObjectApi.patch sends), which
    // renames model members such as NetworkPolicy peers' `_from` back to `from`.
    const file = path.join(work, 'children.yaml');
    await writeFile(file, docs.map((d) => dumpYaml(d)).join('---\n'));
    const results = await validate([file]);
    assert.deepEqual(problems(results), []);
    assert.equal(results.length, docs.length);
    assert.deepEqual(
      results.filter((r) => r.status !== 'statusValid').map((r) => r.kind),
      [],
    );
    for (const kind of [
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Service',
      'NetworkPolicy',
      'Deployment',
      'PodMonitor',
    ])
      assert.ok(
        results.some((r) => r.kind === kind && r.status === 'statusValid'),
        `no ${kind} child validated`,
      );
  });
});
