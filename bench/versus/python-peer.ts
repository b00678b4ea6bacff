/** The Python peer's venv under ~/.cache/torghut-alpaca/bench/py-peer (alpaca-py + confluent-kafka from PyPI). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The venv's python, installing it when missing; null (with the reason on stderr) when that fails. */
export function peerPython(): string | null {
  const venv = join(homedir(), '.cache/torghut-alpaca/bench/py-peer');
  const py = join(venv, 'bin/python');
  try {
    if (!existsSync(py)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(py, ['-c', 'import alpaca.data.live, confluent_kafka'], { stdio: 'ignore' });
    return py;
  } catch {
    try {
      execFileSync(join(venv, 'bin/pip'), ['install', '-q', 'alpaca-py', 'confluent-kafka'], {
        stdio: 'inherit',
      });
      return py;
    } catch (err) {
      process.stderr.write(
        `python peer: cannot install alpaca-py + confluent-kafka: ${(err as Error).message}\n`,
      );
      return null;
    }
  }
}
