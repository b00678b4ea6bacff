/**
 * The whole project at a git ref as its own worktree under ~/.cache/torghut-alpaca/bench/ref-<sha>
 * with its own production node_modules (its package-lock differs: 4a5e016 used kafkajs), so the
 * forwarder CLI as it was can run beside the current one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEFAULT_REF = '4a5e016';
const ROOT = resolve(import.meta.dirname, '../..');

/** Path of the ref's forwarder/main.ts, creating the worktree and installing it when missing. */
export function refForwarderMain(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], { cwd: ROOT })
    .toString()
    .trim();
  const dir = join(homedir(), '.cache/torghut-alpaca/bench', `ref-${sha}`);
  if (!existsSync(join(dir, 'forwarder/main.ts'))) {
    process.stderr.write(`git worktree add ${dir} ${sha}\n`);
    execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(join(dir, 'node_modules/.package-lock.json'))) {
    // npm ci refuses the ref's lock (optional platform packages missing); install from the npm cache.
    process.stderr.write(`npm install (production) in ${dir}\n`);
    execFileSync(
      'npm',
      ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--no-save'],
      {
        cwd: dir,
        stdio: 'inherit',
      },
    );
  }
  return join(dir, 'forwarder/main.ts');
}
