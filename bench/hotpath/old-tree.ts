/**
 * The forwarder's sources at a git ref, extracted once into a temp directory (with the
 * project's node_modules linked beside them), so a benchmark can import the old modules next to
 * the current ones in one process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The commit before the hot-path work of issue 10. */
export const DEFAULT_OLD_REF = '4a5e016';

const ROOT = resolve(import.meta.dirname, '../..');

/** Absolute path of the extracted `forwarder/` directory at `ref`. */
export function oldForwarderDir(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], { cwd: ROOT })
    .toString()
    .trim();
  const dir = join(tmpdir(), `torghut-bench-${sha}`);
  if (!existsSync(join(dir, 'forwarder'))) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', sha, 'forwarder', 'package.json'], {
      cwd: ROOT,
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    if (!existsSync(join(dir, 'node_modules')))
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  return join(dir, 'forwarder');
}

/** Imports `forwarder/<path>` as it was at `ref`. */
export async function importOld<T>(ref: string, path: string): Promise<T> {
  return (await import(join(oldForwarderDir(ref), path))) as T;
}
