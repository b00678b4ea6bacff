/**
 * Runs one build command to completion: stdout collected (for `-json` answers), stderr handed line
 * by line to a sink so long builds stream their progress. Rejects naming the command and the tail
 * of its stderr.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onStderrLine?: (line: string) => void;
}

export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const tail: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      options.onStderrLine?.(line);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? ` (is ${command} installed and on PATH?)` : '';
      reject(new Error(`could not run ${command}: ${err.message}${hint}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(Buffer.concat(out).toString('utf8'));
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(
        new Error(
          `${command} ${args.join(' ')} ${how} (in ${options.cwd ?? process.cwd()}):\n${tail.join('\n')}`,
        ),
      );
    });
  });
}
