/**
 * Locates (installing once, through scripts/lib/ensure-tools.sh) the command-line tools the
 * packaging and monitoring tests run: lua5.1, shellcheck, hadolint, prometheus, promtool. Also the project root and a small runner for
 * child processes that reports their output when they fail.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export type Tool = 'lua5.1' | 'shellcheck' | 'hadolint' | 'prometheus' | 'promtool';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const execFileAsync = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; never throws for a non-zero exit (the result carries it). */
export async function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const child = execFileAsync(file, args, {
    cwd: options.cwd ?? projectRoot,
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (options.input !== undefined) child.child.stdin?.end(options.input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Absolute path of the tool, installed first if missing. */
export async function ensureTool(tool: Tool): Promise<string> {
  const result = await run('bash', [path.join(projectRoot, 'scripts/lib/ensure-tools.sh'), tool]);
  const found = result.stdout.trim();
  if (result.code !== 0 || found === '') {
    throw new Error(
      `could not install ${tool} (scripts/lib/ensure-tools.sh exit ${result.code}): ${result.stderr}`,
    );
  }
  return found;
}
