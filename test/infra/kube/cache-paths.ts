/**
 * Where the built control-plane binaries live: outside the repo, keyed by Kubernetes version,
 * `$PROJECT_CACHE/kube/<version>/bin/{kube-apiserver,kube-controller-manager,etcd}`.
 */
import os from 'node:os';
import path from 'node:path';

export const BINARIES = ['kube-apiserver', 'kube-controller-manager', 'etcd'] as const;
export type BinaryName = (typeof BINARIES)[number];

/** Mirrors scripts/lib/env.sh so `node --test FILE` without the script finds the same cache. */
export function projectCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROJECT_CACHE) return env.PROJECT_CACHE;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'torghut-alpaca');
}

export interface CacheLayout {
  versionDir: string;
  binDir: string;
  stampFile: string;
  binary(name: BinaryName): string;
}

export function cacheLayout(kubeVersion: string, env: NodeJS.ProcessEnv = process.env): CacheLayout {
  const versionDir = path.join(projectCache(env), 'kube', kubeVersion);
  const binDir = path.join(versionDir, 'bin');
  return {
    versionDir,
    binDir,
    stampFile: path.join(binDir, 'stamp.json'),
    binary: (name) => path.join(binDir, name),
  };
}
