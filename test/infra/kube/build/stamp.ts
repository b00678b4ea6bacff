/**
 * The stamp written next to the cached binaries: what was built, from which versions, with which
 * flags. A cache entry counts only if the stamp matches what would be built now and every binary is
 * present, so a changed recipe or a half-copied directory triggers a rebuild instead of a surprise.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { BINARIES, type CacheLayout } from '../cache-paths.ts';

export interface BuildStamp {
  kubeVersion: string;
  etcdVersion: string;
  goVersion: string;
  /** Bump when the build recipe (flags, wrapper) changes. */
  recipe: number;
  builtAt: string;
  buildSeconds: number;
}

export const RECIPE = 1;

export async function readStamp(layout: CacheLayout): Promise<BuildStamp | undefined> {
  try {
    return JSON.parse(await readFile(layout.stampFile, 'utf8')) as BuildStamp;
  } catch {
    return undefined;
  }
}

/** The cached stamp if the cache entry is complete and built by the current recipe, else undefined. */
export async function validCache(layout: CacheLayout, kubeVersion: string): Promise<BuildStamp | undefined> {
  const stamp = await readStamp(layout);
  if (!stamp || stamp.kubeVersion !== kubeVersion || stamp.recipe !== RECIPE) return undefined;
  for (const name of BINARIES) {
    try {
      await access(layout.binary(name), constants.X_OK);
    } catch {
      return undefined;
    }
  }
  return stamp;
}
