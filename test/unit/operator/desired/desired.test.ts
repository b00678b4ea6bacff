/**
 * Desired-state builders: determinism, ownership and labels, the Deployment's safety settings,
 * hashes that roll the pod only when they should, RBAC, NetworkPolicy, the config file, and no
 * secret value anywhere in a rendered object.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  dumpYaml,
  type V1Deployment,
  type V1NetworkPolicy,
  type V1Role,
  type V1Service,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { configFileSchema } from '../../../../contracts/config-file.ts';
import { buildChildren, type ChildObject } from '../../../../operator/desired/children.ts';
import { InvalidConfigFileError, renderConfigFile } from '../../../../operator/desired/config-file.ts';
import { keyIdHash, secretHash } from '../../../../operator/desired/hash.ts';
import type { DesiredInputs } from '../../../../operator/desired/inputs.ts';
import { ANNOTATION_RESTARTED_AT } from '../../../../operator/desired/names.ts';
import type { PodMonitor } from '../../../../operator/desired/pod-monitor.ts';
import { referencedSecretKeys } from '../../../../operator/desired/secret-refs.ts';
import { forwarder, SECRET_VALUES, SETTINGS } from '../../../support/operator-fixtures.ts';

const SASL_SPEC = {
  kafka: {
    bootstrapServers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093', 'kafka-bootstrap.kafka:9094'],
    securityProtocol: 'SASL_SSL',
    sasl: { username: 'torghut-ws', secretRef: { name: 'kafka-user' } },
    tls: { caSecretRef: { name: 'kafka-cluster-ca-cert' } },
  },
};

function inputs(extra: Partial<DesiredInputs> = {}): DesiredInputs {
  const hash = secretHash([
    { secret: 'alpaca-creds', key: 'APCA_API_KEY_ID', value: Buffer.from(SECRET_VALUES.keyId) },
    { secret: 'alpaca-creds', key: 'APCA_API_SECRET_KEY', value: Buffer.from(SECRET_VALUES.secretKey) },
    { secret: 'kafka-user', key: 'password', value: Buffer.from(SECRET_VALUES.kafkaPassword) },
  ]);
  return { secretHash: hash, ...extra };
}

function kindOf(children: ChildObject[], kind: string): ChildObject {
  const found = children.find((c) => c.kind === kind);
  assert.ok(found, `no ${kind}`);
  return found;
}

function deployment(children: ChildObject[]): V1Deployment {
  return kindOf(children, 'Deployment') as V1Deployment;
}

describe('buildChildren', () => {
  test('is deterministic: same inputs give byte-identical objects in the same order', () => {
    const a = buildChildren(
      forwarder({ spec: SASL_SPEC }),
      SETTINGS,
      inputs({ restartedAt: '2026-11-01T10:00:00.000Z' }),
    );
    const b = buildChildren(
      forwarder({ spec: SASL_SPEC }),
      SETTINGS,
      inputs({ restartedAt: '2026-11-01T10:00:00.000Z' }),
    );
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(
      a.apply.map((o) => o.kind),
      ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service', 'NetworkPolicy', 'Deployment'],
    );
    assert.match(a.configHash, /^[0-9a-f]{16}$/);
  });

  test('every child is owned by the resource (controller, blockOwnerDeletion) and carries only our labels', () => {
    const af = forwarder();
    for (const child of buildChildren(af, SETTINGS, inputs()).apply) {
      const meta = child.metadata ?? {};
      assert.equal(meta.namespace, 'torghut', child.kind);
      assert.equal(meta.name, 'equities-forwarder', child.kind);
      assert.deepEqual(meta.ownerReferences, [
        {
          apiVersion: 'torghut.io/v1alpha1',
          kind: 'AlpacaForwarder',
          name: 'equities',
          uid: af.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.deepEqual(Object.keys(meta.labels ?? {}).sort(), [
        'app.kubernetes.io/component',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/managed-by',
        'app.kubernetes.io/name',
      ]);
      assert.equal(meta.labels?.['app.kubernetes.io/instance'], 'equities');
      assert.equal(meta.labels?.['app.kubernetes.io/managed-by'], 'alpacaforwarder-operator');
      assert.equal(meta.annotations, undefined, `${child.kind} must not carry annotations`);
      const text = JSON.stringify(child);
      for (const foreign of ['argocd', 'tracking-id', 'team', 'last-applied-configuration']) {
        assert.ok(!text.includes(foreign), `${child.kind} copies the resource's ${foreign}`);
      }
    }
  });

  test('no secret value appears in any rendered object (children, config file, hashes)', () => {
    const af = forwarder({ spec: SASL_SPEC });
    const rendered = JSON.stringify([
      buildChildren(af, SETTINGS, inputs({ restartedAt: '2026-11-01T10:00:00.000Z' })),
      keyIdHash(SECRET_VALUES.keyId),
      inputs(),
    ]);
    for (const secret of Object.values(SECRET_VALUES)) {
      assert.ok(!rendered.includes(secret), 'a secret value leaked into a rendered object');
    }
  });

  test('survives client-node serialisation (the SSA wire form) without losing a field', () => {
    for (const child of buildChildren(forwarder({ spec: SASL_SPEC }), SETTINGS, inputs()).apply) {
      const wire = parse(dumpYaml(child));
      const expected = JSON.parse(JSON.stringify(child).replaceAll('"_from":', '"from":'));
      assert.deepEqual(wire, expected, child.kind);
    }
  });
});

describe('Deployment', () => {
  test('one replica, Recreate, 0 replicas when suspended or held', () => {
    const d = deployment(buildChildren(forwarder(), SETTINGS, inputs()).apply);
    assert.equal(d.spec?.replicas, 1);
    assert.deepEqual(d.spec?.strategy, { type: 'Recreate' });
    const suspended = deployment(
      buildChildren(forwarder({ spec: { suspend: true } }), SETTINGS, inputs()).apply,
    );
    assert.equal(suspended.spec?.replicas, 0);
    const held = deployment(buildChildren(forwarder(), SETTINGS, inputs({ hold: true })).apply);
    assert.equal(held.spec?.replicas, 0);
  });

  test('pod is locked down: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no escalation', () => {
    const pod = deployment(buildChildren(forwarder(), SETTINGS, inputs()).apply).spec?.template.spec;
    assert.ok(pod);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    const [c] = pod.containers;
    assert.ok(c);
    assert.equal(c.securityContext?.runAsNonRoot, true);
    assert.ok((c.securityContext?.runAsUser ?? 0) > 0);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(c.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(c.image, SETTINGS.defaultImage);
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(c.startupProbe?.httpGet?.path, '/healthz');
    // Grace beyond the forwarder's own 20 s shutdown budget (close frames + Kafka flush).
    assert.ok((pod.terminationGracePeriodSeconds ?? 0) > 20);
    const tmp = pod.volumes?.find((v) => v.name === 'tmp');
    assert.ok(tmp?.emptyDir);
    assert.deepEqual(
      c.volumeMounts?.map((m) => [m.name, m.mountPath, m.readOnly ?? false]),
      [
        ['config', '/etc/alpaca-forwarder', true],
        ['tmp', '/tmp', false],
      ],
    );
    assert.equal(
      c.volumeMounts?.some((m) => m.subPath !== undefined),
      false,
      'subPath blocks ConfigMap updates',
    );
  });

  test('secrets reach the pod only as secretKeyRef env; namespace and config path from plain env', () => {
    const af = forwarder({ spec: SASL_SPEC });
    const [c] = deployment(buildChildren(af, SETTINGS, inputs()).apply).spec?.template.spec?.containers ?? [];
    const env = new Map((c?.env ?? []).map((e) => [e.name, e]));
    assert.deepEqual(env.get('ALPACA_KEY_ID')?.valueFrom?.secretKeyRef, {
      name: 'alpaca-creds',
      key: 'APCA_API_KEY_ID',
      optional: false,
    });
    assert.deepEqual(env.get('ALPACA_SECRET_KEY')?.valueFrom?.secretKeyRef, {
      name: 'alpaca-creds',
      key: 'APCA_API_SECRET_KEY',
      optional: false,
    });
    assert.deepEqual(env.get('KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef, {
      name: 'kafka-user',
      key: 'password',
      optional: false,
    });
    assert.equal(env.get('POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
    assert.equal(env.get('FORWARDER_CONFIG_FILE')?.value, '/etc/alpaca-forwarder/config.json');
    for (const e of env.values()) {
      if (/KEY|SECRET|PASSWORD/.test(e.name))
        assert.equal(e.value, undefined, `${e.name} has a literal value`);
    }
    const ca = deployment(buildChildren(af, SETTINGS, inputs()).apply).spec?.template.spec?.volumes?.find(
      (v) => v.name === 'kafka-ca',
    );
    assert.deepEqual(ca?.secret?.items, [{ key: 'ca.crt', path: 'ca.crt' }]);
  });

  test('a symbol-only or channel-only change does not roll the pod; other config changes do', () => {
    const base = buildChildren(forwarder(), SETTINGS, inputs());
    const symbols = buildChildren(
      forwarder({ spec: { symbols: ['AAPL', 'MSFT', 'NVDA'] } }),
      SETTINGS,
      inputs(),
    );
    const channels = buildChildren(
      forwarder({ spec: { channels: { trades: true, quotes: false } } }),
      SETTINGS,
      inputs(),
    );
    const linger = buildChildren(
      forwarder({
        spec: { kafka: { bootstrapServers: ['kafka-bootstrap.kafka.svc:9092'], producer: { lingerMs: 40 } } },
      }),
      SETTINGS,
      inputs(),
    );
    assert.deepEqual(deployment(symbols.apply), deployment(base.apply));
    assert.deepEqual(deployment(channels.apply), deployment(base.apply));
    assert.notDeepEqual(kindOf(symbols.apply, 'ConfigMap'), kindOf(base.apply, 'ConfigMap'));
    assert.equal(symbols.configHash, base.configHash);
    assert.notEqual(linger.configHash, base.configHash);
    assert.notDeepEqual(
      deployment(linger.apply).spec?.template.metadata?.annotations,
      deployment(base.apply).spec?.template.metadata?.annotations,
    );
  });

  test('a rotated Secret rolls the pod; restartedAt from status is carried on every apply', () => {
    const a = deployment(buildChildren(forwarder(), SETTINGS, inputs()).apply);
    const rotated = deployment(
      buildChildren(forwarder(), SETTINGS, {
        secretHash: secretHash([{ secret: 's', key: 'k', value: Buffer.from('new') }]),
      }).apply,
    );
    assert.notEqual(
      a.spec?.template.metadata?.annotations?.['torghut.io/secret-hash'],
      rotated.spec?.template.metadata?.annotations?.['torghut.io/secret-hash'],
    );
    assert.equal(a.spec?.template.metadata?.annotations?.[ANNOTATION_RESTARTED_AT], undefined);
    const restarted = deployment(
      buildChildren(forwarder(), SETTINGS, inputs({ restartedAt: '2026-11-02T09:00:00.000Z' })).apply,
    );
    assert.equal(
      restarted.spec?.template.metadata?.annotations?.[ANNOTATION_RESTARTED_AT],
      '2026-11-02T09:00:00.000Z',
    );
  });

  test('podTemplate extras are applied; user annotations cannot override the operator keys', () => {
    const af = forwarder({
      spec: {
        image: 'registry.example/custom:2',
        podTemplate: {
          nodeSelector: { pool: 'trading' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'trading', effect: 'NoSchedule' }],
          annotations: { 'prometheus.io/scrape': 'true', 'torghut.io/config-hash': 'forged' },
        },
      },
    });
    const d = deployment(buildChildren(af, SETTINGS, inputs()).apply);
    const pod = d.spec?.template;
    assert.equal(pod?.spec?.containers[0]?.image, 'registry.example/custom:2');
    assert.deepEqual(pod?.spec?.nodeSelector, { pool: 'trading' });
    assert.equal(pod?.spec?.tolerations?.[0]?.key, 'dedicated');
    assert.equal(pod?.metadata?.annotations?.['prometheus.io/scrape'], 'true');
    assert.notEqual(pod?.metadata?.annotations?.['torghut.io/config-hash'], 'forged');
  });
});

describe('Service', () => {
  test('publishes not-ready addresses (PROBE_ADDRESS=service must reach a pod stuck on 406) and selects the forwarder pod by its ports', () => {
    const children = buildChildren(forwarder(), SETTINGS, inputs()).apply;
    const svc = kindOf(children, 'Service') as V1Service;
    assert.equal(svc.spec?.type, 'ClusterIP');
    assert.equal(svc.spec?.publishNotReadyAddresses, true);
    const podLabels = deployment(children).spec?.template.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(svc.spec?.selector ?? {}))
      assert.equal(podLabels[k], v, `selector ${k}`);
    const container = deployment(children).spec?.template.spec?.containers[0];
    const podPorts = new Set((container?.ports ?? []).map((p) => p.name));
    assert.deepEqual(
      svc.spec?.ports?.map((p) => p.targetPort),
      ['health', 'metrics'],
    );
    for (const p of svc.spec?.ports ?? [])
      assert.ok(podPorts.has(String(p.targetPort)), `pod port ${p.targetPort}`);
  });
});

describe('RBAC', () => {
  test('the Role grants only the Lease: get/update/patch by name when known, create', () => {
    const named = kindOf(
      buildChildren(forwarder(), SETTINGS, inputs({ leaseName: 'alpaca-abc' })).apply,
      'Role',
    ) as V1Role;
    assert.deepEqual(named.rules, [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'update', 'patch'],
        resourceNames: ['alpaca-abc'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    const unnamed = kindOf(buildChildren(forwarder(), SETTINGS, inputs()).apply, 'Role') as V1Role;
    for (const rule of unnamed.rules ?? []) assert.deepEqual(rule.resources, ['leases']);
  });
});

describe('NetworkPolicy', () => {
  test('egress: DNS, Alpaca 443 to the configured CIDRs, Kafka ports, API server; ingress: health from the operator namespace', () => {
    const af = forwarder({
      spec: {
        ...SASL_SPEC,
        networkPolicy: {
          alpacaEgressCidrs: ['104.16.0.0/12'],
          kafkaNamespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } },
        },
      },
    });
    const np = kindOf(buildChildren(af, SETTINGS, inputs()).apply, 'NetworkPolicy') as V1NetworkPolicy;
    const spec = np.spec;
    assert.deepEqual(spec?.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(spec?.podSelector?.matchLabels, {
      'app.kubernetes.io/name': 'alpaca-forwarder',
      'app.kubernetes.io/instance': 'equities',
    });
    const egress = spec?.egress ?? [];
    assert.deepEqual(egress[0]?.ports, [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    assert.deepEqual(egress[1], {
      to: [{ ipBlock: { cidr: '104.16.0.0/12' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
    assert.deepEqual(egress[2], {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } } }],
      ports: [
        { protocol: 'TCP', port: 9093 },
        { protocol: 'TCP', port: 9094 },
      ],
    });
    assert.deepEqual(egress[3]?.ports, [
      { protocol: 'TCP', port: 443 },
      { protocol: 'TCP', port: 6443 },
    ]);
    assert.equal(egress.length, 4);
    assert.deepEqual(spec?.ingress, [
      {
        _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'torghut-system' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
  });

  test('metrics ingress only from metricsNamespaceSelector; symbolsFrom gets its own egress; disabled means absent', () => {
    const af = forwarder({
      spec: {
        symbolsFrom: { url: 'http://jangar.jangar.svc:8080/symbols' },
        networkPolicy: {
          metricsNamespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        },
      },
    });
    const np = kindOf(buildChildren(af, SETTINGS, inputs()).apply, 'NetworkPolicy') as V1NetworkPolicy;
    assert.deepEqual(np.spec?.ingress?.[1], {
      _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ protocol: 'TCP', port: 9090 }],
    });
    assert.ok(np.spec?.egress?.some((r) => r.ports?.[0]?.port === 8080));
    const off = buildChildren(forwarder({ spec: { networkPolicy: { enabled: false } } }), SETTINGS, inputs());
    assert.equal(
      off.apply.some((o) => o.kind === 'NetworkPolicy'),
      false,
    );
    assert.deepEqual(off.absent, ['NetworkPolicy']);
  });
});

describe('config file', () => {
  test('spec.perMessageDeflate: true reaches the forwarder config file', () => {
    const af = forwarder({ spec: { ...SASL_SPEC, perMessageDeflate: true } });
    const cm = kindOf(buildChildren(af, SETTINGS, inputs()).apply, 'ConfigMap');
    const text = (cm as { data?: Record<string, string> }).data?.['config.json'];
    assert.ok(text);
    assert.equal(configFileSchema.parse(JSON.parse(text)).perMessageDeflate, true);
  });

  test('validates with the forwarder schema and mirrors the spec without secrets or Kubernetes-only fields', () => {
    const af = forwarder({
      spec: {
        ...SASL_SPEC,
        tradeUpdates: { enabled: true, streamUrl: 'wss://paper-api.alpaca.markets/stream' },
      },
    });
    const cm = kindOf(buildChildren(af, SETTINGS, inputs()).apply, 'ConfigMap');
    const text = (cm as { data?: Record<string, string> }).data?.['config.json'];
    assert.ok(text);
    const rendered = JSON.parse(text);
    const parsed = configFileSchema.parse(rendered);
    assert.deepEqual(parsed.symbols, ['AAPL', 'MSFT']);
    assert.equal(parsed.kafka?.sasl?.username, 'torghut-ws');
    assert.equal(parsed.kafka?.tls?.caFile, '/etc/alpaca-forwarder/kafka-ca/ca.crt');
    assert.equal(parsed.reconnect?.cooldown406Ms, 90_000);
    assert.equal(parsed.tradeUpdates?.streamUrl, 'wss://paper-api.alpaca.markets/stream');
    assert.equal(rendered.kafka?.producer?.acks, -1);
    assert.equal(rendered.encoding, 'msgpack', 'the CRD default frame encoding reaches the forwarder');
    assert.equal(
      rendered.perMessageDeflate,
      undefined,
      'permessage-deflate off (the default) is not rendered',
    );
    // Gap fill at the CRD defaults (trades on, quotes off) = the forwarder's defaults: not
    // rendered, so the config hash of existing resources does not change.
    assert.deepEqual(rendered.backfill?.gapFill, { enabled: true });
    const custom = forwarder({ spec: { backfill: { gapFill: { trades: false, quotes: true } } } });
    assert.deepEqual(renderConfigFile(custom, SETTINGS).backfill?.gapFill, {
      enabled: true,
      trades: false,
      quotes: true,
    });
    assert.equal(rendered.lagThresholdMs, undefined, 'the default lag threshold (2000) is not rendered');
    const lag = forwarder({ spec: { lagThresholdMs: 5_000 } });
    assert.equal(renderConfigFile(lag, SETTINGS).lagThresholdMs, 5_000);
    assert.equal(
      rendered.channelStaleAfterMs,
      undefined,
      'the default stale threshold (180000) is not rendered',
    );
    const stale = forwarder({ spec: { channelStaleAfterMs: 60_000 } });
    assert.equal(renderConfigFile(stale, SETTINGS).channelStaleAfterMs, 60_000);
    assert.equal(
      rendered.heartbeatIntervalMs,
      undefined,
      'the default heartbeat interval (30 s) is not rendered',
    );
    assert.equal(
      rendered.tradeUpdates?.reconcileFills,
      undefined,
      'fill reconciliation on (the default) is not rendered',
    );
    const quiet = forwarder({
      spec: {
        heartbeatIntervalMs: 0,
        tradeUpdates: {
          enabled: true,
          streamUrl: 'wss://paper-api.alpaca.markets/stream',
          reconcileFills: false,
        },
      },
    });
    assert.equal(renderConfigFile(quiet, SETTINGS).heartbeatIntervalMs, 0);
    assert.equal(renderConfigFile(quiet, SETTINGS).tradeUpdates?.reconcileFills, false);
    for (const k of [
      'image',
      'resources',
      'podTemplate',
      'networkPolicy',
      'restartPolicy',
      'suspend',
      'credentialsSecretRef',
    ]) {
      assert.ok(!(k in parsed), k);
    }
  });

  test('an unrenderable spec is a clear error naming the bad key', () => {
    const af = forwarder({ spec: { streamUrl: 'not a url' } });
    assert.throws(
      () => renderConfigFile(af, SETTINGS),
      (err: unknown) =>
        err instanceof InvalidConfigFileError &&
        /streamUrl/.test(err.message) &&
        /torghut\/equities/.test(err.message),
    );
  });

  test('symbolsFrom.headersFrom: Secret keys mounted as one file per header; the config file names only the directory', () => {
    const af = forwarder({
      spec: {
        symbolsFrom: {
          url: 'https://jangar.example/symbols',
          headersFrom: [
            { name: 'Authorization', secretKeyRef: { name: 'jangar-token', key: 'bearer' } },
            { name: 'X-Api-Key', secretKeyRef: { name: 'jangar-key', key: 'key' } },
            { name: 'X-Tenant', secretKeyRef: { name: 'jangar-token', key: 'tenant' } },
          ],
        },
      },
    });
    const children = buildChildren(af, SETTINGS, inputs()).apply;
    const pod = deployment(children).spec?.template.spec;
    const vol = pod?.volumes?.find((v) => v.name === 'symbols-headers');
    assert.deepEqual(vol?.projected?.sources, [
      {
        secret: {
          name: 'jangar-token',
          items: [
            { key: 'bearer', path: 'Authorization' },
            { key: 'tenant', path: 'X-Tenant' },
          ],
          optional: false,
        },
      },
      { secret: { name: 'jangar-key', items: [{ key: 'key', path: 'X-Api-Key' }], optional: false } },
    ]);
    const [c] = pod?.containers ?? [];
    assert.deepEqual(
      c?.volumeMounts?.find((m) => m.name === 'symbols-headers'),
      { name: 'symbols-headers', mountPath: '/etc/alpaca-forwarder/symbols-headers', readOnly: true },
    );
    assert.ok(!(c?.env ?? []).some((e) => /HEADER/.test(e.name)), 'header values never go into env literals');
    const file = configFileSchema.parse(renderConfigFile(af, SETTINGS));
    assert.deepEqual(file.symbolsFrom, {
      url: 'https://jangar.example/symbols',
      pollIntervalSeconds: 60,
      headersDir: '/etc/alpaca-forwarder/symbols-headers',
    });
    const configMap = JSON.stringify(kindOf(children, 'ConfigMap'));
    assert.ok(
      !configMap.includes('jangar-token') && !configMap.includes('bearer'),
      'no Secret reference in the ConfigMap',
    );
    assert.deepEqual(
      referencedSecretKeys(af.spec)
        .filter((r) => r.purpose === 'symbolsFromHeader')
        .map((r) => `${r.secret}/${r.key}`),
      ['jangar-token/bearer', 'jangar-key/key', 'jangar-token/tenant'],
    );
    // Without headersFrom: no volume, no headersDir (the config hash of existing resources stays).
    const plain = forwarder({ spec: { symbolsFrom: { url: 'https://jangar.example/symbols' } } });
    assert.equal(renderConfigFile(plain, SETTINGS).symbolsFrom?.headersDir, undefined);
    assert.ok(
      !deployment(buildChildren(plain, SETTINGS, inputs()).apply).spec?.template.spec?.volumes?.some(
        (v) => v.name === 'symbols-headers',
      ),
    );
  });

  test('referencedSecretKeys lists every Secret key the pod consumes', () => {
    assert.deepEqual(
      referencedSecretKeys(forwarder({ spec: SASL_SPEC }).spec).map(
        (r) => `${r.purpose}=${r.secret}/${r.key}`,
      ),
      [
        'alpacaKeyId=alpaca-creds/APCA_API_KEY_ID',
        'alpacaSecretKey=alpaca-creds/APCA_API_SECRET_KEY',
        'kafkaSaslPassword=kafka-user/password',
        'kafkaCa=kafka-cluster-ca-cert/ca.crt',
      ],
    );
  });
});

describe('PodMonitor and Prometheus annotations', () => {
  test('a PodMonitor only when the cluster serves them, selecting the pod on its declared metrics port', () => {
    const af = forwarder();
    assert.equal(
      buildChildren(af, SETTINGS, inputs()).apply.some((o) => o.kind === 'PodMonitor'),
      false,
      'not discovered: none',
    );
    const children = buildChildren(af, SETTINGS, inputs({ podMonitor: true })).apply;
    const monitor = children.find((o): o is PodMonitor => o.kind === 'PodMonitor');
    assert.ok(monitor);
    assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(monitor.metadata?.name, 'equities-forwarder');
    assert.equal(monitor.metadata?.ownerReferences?.[0]?.kind, 'AlpacaForwarder');
    const dep = children.find((o): o is V1Deployment => o.kind === 'Deployment');
    const podLabels = dep?.spec?.template.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(podLabels[k], v, k);
    const ports = dep?.spec?.template.spec?.containers[0]?.ports ?? [];
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    assert.equal(ports.find((p) => p.name === endpoint?.port)?.containerPort, 9090);
    assert.equal(endpoint?.path, '/metrics');
    assert.deepEqual(endpoint?.relabelings, [
      {
        sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_instance'],
        targetLabel: 'alpacaforwarder',
        action: 'replace',
      },
    ]);
    assert.equal(podLabels['app.kubernetes.io/instance'], 'equities');
  });

  test('pods carry prometheus.io/scrape, port and path; podTemplate annotations may override them', () => {
    const annotations = (af: ReturnType<typeof forwarder>) =>
      buildChildren(af, SETTINGS, inputs()).apply.find((o): o is V1Deployment => o.kind === 'Deployment')
        ?.spec?.template.metadata?.annotations ?? {};
    const plain = annotations(forwarder());
    assert.equal(plain['prometheus.io/scrape'], 'true');
    assert.equal(plain['prometheus.io/port'], '9090');
    assert.equal(plain['prometheus.io/path'], '/metrics');
    const off = annotations(
      forwarder({ spec: { podTemplate: { annotations: { 'prometheus.io/scrape': 'false' } } } }),
    );
    assert.equal(off['prometheus.io/scrape'], 'false');
  });
});
