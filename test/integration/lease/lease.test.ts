/**
 * The forwarder's connection Lease against the real kube-apiserver (design §4.1): two holders
 * with the same key id never hold it together, a release hands it over at once, a holder that
 * stops renewing is taken over after the lease duration, and the Role the operator renders for
 * the forwarder is exactly enough (as the forwarder's ServiceAccount, with a TokenRequest token).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, type KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { stringify } from 'yaml';
import { createKubeLeaseStore } from '../../../forwarder/lease/kube-store.ts';
import { leaseNameForKeyId } from '../../../forwarder/lease/name.ts';
import { type KubeClientConfig, kubeConfigFromFile } from '../../../lib/kube/kube-config.ts';
import { timingsFor } from '../../../lib/lease/decide.ts';
import { LeaseElector, type LeaseStatus } from '../../../lib/lease/elector.ts';
import { type LeaseRecord, type LeaseStore, LeaseStoreError } from '../../../lib/lease/store.ts';
import { systemClock } from '../../../lib/time/clock.ts';
import type { AlpacaForwarder } from '../../../operator/api/types.ts';
import { buildRole, buildRoleBinding } from '../../../operator/desired/rbac.ts';
import { controlPlaneFromEnv, createTestNamespace } from '../../infra/kube/index.ts';

// Long enough that a busy CI machine does not stall a renewal past the renew deadline (3.3 s).
const DURATION_S = 5;
const timings = timingsFor(DURATION_S);
const logger = pino({ level: 'silent' });
const SAFETY_MS = 60_000;

let admin: KubeConfig;
/** The forwarder's own client config from the same kubeconfig (client-certificate/client-key files). */
let adminLease: KubeClientConfig;
let namespace: string;
const electors: LeaseElector[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'lease-test-'));

before(async () => {
  const plane = controlPlaneFromEnv();
  admin = plane.kubeConfig();
  adminLease = kubeConfigFromFile(plane.kubeconfigPath);
  namespace = await createTestNamespace(admin, 'lease');
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await Promise.all(electors.map((e) => e.stop()));
  await admin
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => {});
});

/** Resolves when `check` holds, re-checked after every event (safety timeout only). */
class Events<T> {
  readonly seen: T[] = [];
  readonly #waiters: { check: (seen: readonly T[]) => boolean; resolve: () => void }[] = [];
  push(e: T): void {
    this.seen.push(e);
    for (const w of [...this.#waiters]) {
      if (w.check(this.seen)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
  until(check: (seen: readonly T[]) => boolean, what: string): Promise<void> {
    if (check(this.seen)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), SAFETY_MS);
      timer.unref();
      this.#waiters.push({
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

type Event =
  | { kind: 'acquired' | 'lost' }
  | { kind: 'status'; status: LeaseStatus }
  | { kind: 'wrote'; record: LeaseRecord; readBefore: LeaseRecord | undefined };

/** A store that reports each successful write and the record read just before it. */
function observed(store: LeaseStore, events: Events<Event>): LeaseStore {
  let lastRead: LeaseRecord | undefined;
  return {
    async get() {
      lastRead = await store.get();
      return lastRead;
    },
    async create(spec) {
      const r = await store.create(spec);
      events.push({ kind: 'wrote', record: r, readBefore: undefined });
      return r;
    },
    async replace(rv, spec) {
      const before = lastRead;
      const r = await store.replace(rv, spec);
      events.push({ kind: 'wrote', record: r, readBefore: before });
      return r;
    },
  };
}

function holder(identity: string, leaseName: string, kc: KubeClientConfig = adminLease) {
  const events = new Events<Event>();
  const store = createKubeLeaseStore({ kubeConfig: kc, namespace, name: leaseName });
  const elector = new LeaseElector(observed(store, events), {
    subject: 'connection lease',
    identity,
    timings,
    clock: systemClock,
    logger,
    onAcquired: () => events.push({ kind: 'acquired' }),
    onLost: () => events.push({ kind: 'lost' }),
    onStatus: (status) => events.push({ kind: 'status', status }),
  });
  electors.push(elector);
  const count = (kind: Event['kind']) => (seen: readonly Event[]) =>
    seen.filter((e) => e.kind === kind).length;
  const writes = () => events.seen.filter((e): e is Extract<Event, { kind: 'wrote' }> => e.kind === 'wrote');
  return { identity, events, elector, store, count, writes };
}

function uniqueKeyName(): string {
  return leaseNameForKeyId(`PKTEST${randomBytes(8).toString('hex')}`);
}

test('two holders with one key id: only one holds it; a release hands it over at once', async () => {
  const name = uniqueKeyName();
  const a = holder('fwd-a', name);
  const b = holder('fwd-b', name);
  a.elector.start();
  b.elector.start();
  const either = new Promise<void>((resolve) => {
    void a.events.until((s) => a.count('acquired')(s) > 0, 'a').then(resolve, () => {});
    void b.events.until((s) => b.count('acquired')(s) > 0, 'b').then(resolve, () => {});
  });
  await either;
  const [first, second] = a.elector.held ? [a, b] : [b, a];
  await second.events.until(
    (s) => s.some((e) => e.kind === 'status' && e.status.phase === 'held_by_other'),
    'the second to see the first holding it',
  );
  // The first renews for longer than a lease duration (+ a retry); the second never takes it.
  const start = first.writes().at(-1)?.record.renewTimeMs ?? 0;
  await first.events.until(
    () =>
      (first.writes().at(-1)?.record.renewTimeMs ?? 0) - start >
      timings.leaseDurationMs + timings.retryPeriodMs,
    'renewals spanning more than a lease duration',
  );
  assert.equal(second.count('acquired')(second.events.seen), 0);
  assert.equal(second.writes().length, 0, 'the second never wrote the Lease');
  assert.equal(second.elector.status().holder, first.identity);
  assert.equal(first.count('lost')(first.events.seen), 0);

  assert.equal(await first.elector.release(), true);
  await second.events.until((s) => second.count('acquired')(s) > 0, 'the second to take over');
  const takeover = second.writes()[0];
  assert.equal(takeover?.readBefore?.holderIdentity, null, 'taken because released, not because expired');
  assert.equal(takeover?.record.holderIdentity, second.identity);
  assert.equal(takeover?.record.leaseTransitions, (takeover?.readBefore?.leaseTransitions ?? 0) + 1);
});

test('a holder that stops renewing is taken over after the lease duration', async () => {
  const name = uniqueKeyName();
  const a = holder('fwd-a', name);
  const b = holder('fwd-b', name);
  a.elector.start();
  await a.events.until((s) => a.count('acquired')(s) > 0, 'a to acquire');
  b.elector.start();
  await b.events.until(
    (s) => s.some((e) => e.kind === 'status' && e.status.phase === 'held_by_other'),
    'b to wait for a',
  );
  await a.elector.stop(); // like a frozen or partitioned pod: no renewals, no release
  const lastRenew = a.writes().at(-1)?.record.renewTimeMs ?? 0;
  await b.events.until((s) => b.count('acquired')(s) > 0, 'b to take the expired Lease');
  const takeover = b.writes()[0];
  assert.equal(takeover?.readBefore?.holderIdentity, 'fwd-a', 'taken from a holder that did not release');
  assert.ok(
    (takeover?.record.acquireTimeMs ?? 0) >= lastRenew + timings.leaseDurationMs,
    'not before the lease duration after the last renewal',
  );
  assert.equal(takeover?.record.leaseTransitions, (takeover?.readBefore?.leaseTransitions ?? 0) + 1);
});

test("the operator's forwarder Role is exactly enough: acquire, renew and release as the forwarder's ServiceAccount", async () => {
  const keyId = `PKTEST${randomBytes(8).toString('hex')}`;
  const name = leaseNameForKeyId(keyId);
  const af = {
    metadata: { name: `af-${randomBytes(3).toString('hex')}`, namespace, uid: 'unused', generation: 1 },
    spec: {},
  } as unknown as AlpacaForwarder;
  const role = buildRole(af, { leaseName: name });
  const binding = buildRoleBinding(af);
  // No owner here (the garbage collector would delete objects whose owner does not exist).
  for (const o of [role, binding]) if (o.metadata) delete o.metadata.ownerReferences;
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const saName = binding.subjects?.[0]?.name ?? '';
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: saName } } });
  await rbac.createNamespacedRole({ namespace, body: role });
  await rbac.createNamespacedRoleBinding({ namespace, body: binding });
  const token = await core.createNamespacedServiceAccountToken({
    name: saName,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster();
  assert.ok(cluster?.caFile && token.status?.token);
  // A kubeconfig as a pod-less forwarder would have one: the CA inline, a bearer token.
  const file = join(tmp, 'forwarder-kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: {
            server: cluster.server,
            'certificate-authority-data': readFileSync(cluster.caFile).toString('base64'),
          },
        },
      ],
      users: [{ name: 'forwarder', user: { token: token.status.token } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'forwarder' } }],
      'current-context': 'x',
    }),
    { mode: 0o600 },
  );
  const asForwarder = kubeConfigFromFile(file);

  const f = holder('fwd-sa', name, asForwarder);
  f.elector.start();
  await f.events.until((s) => f.count('acquired')(s) > 0, 'acquire as the forwarder');
  await f.events.until((s) => f.count('wrote')(s) >= 3, 'two renewals as the forwarder');
  assert.equal(await f.elector.release(), true);
  const released = await createKubeLeaseStore({ kubeConfig: adminLease, namespace, name }).get();
  assert.equal(released?.holderIdentity, null);

  const other = createKubeLeaseStore({ kubeConfig: asForwarder, namespace, name: uniqueKeyName() });
  await assert.rejects(
    other.get(),
    (err: unknown) => err instanceof LeaseStoreError && err.code === 'http_403',
    "another account's Lease is out of reach",
  );
});
