/**
 * The runner's private mount namespace (real `unshare` + bind mounts, needs root like the runner):
 * a volume at /tmp must not hide the host directories of volumes bound after it, since the runner's
 * work directory usually lives under /tmp itself.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import type { ProcessPlan } from '../../infra/pod-runner/pod-process.ts';
import { withMounts } from '../../infra/pod-runner/pod-process-handle.ts';

const run = promisify(execFile);
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('volumes bound after a /tmp emptyDir still come from their host directories under /tmp', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'mounts-test-'));
  dirs.push(base);
  const tmpVol = path.join(base, 'volumes', 'tmp');
  const configVol = path.join(base, 'volumes', 'config');
  await mkdir(tmpVol, { recursive: true });
  await mkdir(configVol, { recursive: true });
  await writeFile(path.join(configVol, 'config.yaml'), 'symbols: [AAPL]\n');
  await writeFile(path.join(tmpVol, 'marker'), 'emptyDir\n');
  const plan: ProcessPlan = {
    command: 'sh',
    args: ['-c', 'cat /tmp/marker /tmp/etc/forwarder/config.yaml'],
    env: {},
    volumes: new Map(),
    mounts: [
      { containerPath: '/tmp', hostPath: tmpVol },
      { containerPath: '/tmp/etc/forwarder', hostPath: configVol },
    ],
    ports: new Map(),
    terminationGraceSeconds: 1,
    hostPaths: [],
  };
  const [command, args] = withMounts(plan);
  const { stdout } = await run(command, args);
  assert.equal(stdout, 'emptyDir\nsymbols: [AAPL]\n');
});
