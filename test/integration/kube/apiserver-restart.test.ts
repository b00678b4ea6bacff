/**
 * A watch survives a kube-apiserver restart: on a control plane this test owns, an informer sees a
 * ConfigMap, the API server process is stopped and started again (same port, same etcd), and the
 * informer reconnects and sees a ConfigMap created after the restart; objects from before it are
 * still there (etcd kept them).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  type V1ConfigMap,
  VersionApi,
} from '@kubernetes/client-node';
import { type ControlPlane, createTestNamespace, startPrivateControlPlane } from '../../infra/kube/index.ts';

let plane: ControlPlane;
let kc: KubeConfig;

before(async () => {
  plane = await startPrivateControlPlane();
  kc = plane.kubeConfig();
});

after(async () => {
  await plane?.stop();
});

/**
 * client-node's informer stops on a connection error and leaves restarting to its owner; this
 * owner restarts it after a short backoff, keeping its last resourceVersion so it resumes.
 */
function resilientConfigMapInformer(namespace: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${namespace}/configmaps`, () =>
    core.listNamespacedConfigMap({ namespace }),
  );
  const events = new EventEmitter();
  let stopped = false;
  let errors = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const names = new Set<string>();
  const record = (cm: V1ConfigMap) => {
    names.add(cm.metadata?.name ?? '');
    events.emit('seen');
  };
  informer.on('add', record);
  informer.on('update', record);
  informer.on('error', () => {
    errors += 1;
    if (!stopped) restartTimer = setTimeout(() => void informer.start(), 200);
  });
  /** Resolves once the informer has delivered `name`; the timer is only a safety net against a hang. */
  const seen = (name: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!names.has(name)) return;
        events.off('seen', check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        events.off('seen', check);
        reject(
          new Error(`the informer did not deliver ConfigMap ${name} within 120 s (errors so far: ${errors})`),
        );
      }, 120_000);
      events.on('seen', check);
      check();
    });
  return {
    informer,
    seen,
    errors: () => errors,
    start: () => informer.start(),
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      await informer.stop();
    },
  };
}

test('an informer resumes after the kube-apiserver process is restarted and sees later changes', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = await createTestNamespace(kc, 'restart');
  const watcher = resilientConfigMapInformer(namespace);
  await watcher.start();
  try {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before-restart' } } });
    await watcher.seen('before-restart');

    await plane.stopApiServer();
    await plane.startApiServer();

    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-restart' } } });
    await watcher.seen('after-restart');

    assert.ok(watcher.errors() >= 1, 'the informer never lost its connection, so the restart proved nothing');
    assert.ok(
      watcher.informer.get('before-restart', namespace),
      'the pre-restart object is still in the cache',
    );
    const list = await core.listNamespacedConfigMap({ namespace });
    assert.deepEqual(
      list.items
        .map((cm) => cm.metadata?.name)
        .filter((n) => n !== 'kube-root-ca.crt')
        .sort(),
      ['after-restart', 'before-restart'],
    );
  } finally {
    await watcher.stop();
  }
});

test('a restarted kube-apiserver still reports the release version', async () => {
  const info = await kc.makeApiClient(VersionApi).getCode();
  assert.equal(info.gitVersion, plane.version);
});
