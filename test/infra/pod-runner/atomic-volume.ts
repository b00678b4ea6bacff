/**
 * Writes a configMap/secret volume the way the kubelet's AtomicWriter does: the files live in a
 * timestamped directory, `..data` is a symlink to it, and each visible file is a symlink through
 * `..data`. An update writes a new directory and swaps `..data` with one rename, so a reader
 * (the forwarder's config watcher) never sees a half-written file.
 */
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

export async function writeAtomicVolume(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.pid}.${counter++}`;
  const dataDir = path.join(dir, stamp);
  await mkdir(dataDir);
  for (const [name, content] of Object.entries(files)) {
    if (name.includes('..') || path.isAbsolute(name))
      throw new Error(`volume file name ${name} is not allowed`);
    await mkdir(path.dirname(path.join(dataDir, name)), { recursive: true });
    await writeFile(path.join(dataDir, name), content, { mode: 0o644 });
  }
  let previous: string | undefined;
  try {
    previous = await readlink(path.join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  const tmpLink = path.join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, path.join(dir, '..data'));

  const wanted = new Set(Object.keys(files).map((f) => f.split('/')[0] ?? f));
  for (const top of wanted) {
    const link = path.join(dir, top);
    try {
      await readlink(link);
    } catch {
      await rm(link, { recursive: true, force: true });
      await symlink(path.join('..data', top), link);
    }
  }
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // Directories are mount points of nested volumes, made by the runner: keep them.
    if (entry.name.startsWith('..') || !entry.isSymbolicLink()) continue;
    if (!wanted.has(entry.name)) await rm(path.join(dir, entry.name), { force: true });
  }
  if (previous !== undefined && previous !== stamp) {
    await rm(path.join(dir, previous), { recursive: true, force: true });
  }
}
