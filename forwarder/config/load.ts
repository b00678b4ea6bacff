/** I/O edge of config: read the mounted file (YAML or JSON), then resolve with env. */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Env, readEnv } from './env.ts';
import { ConfigError, type FileSource, type Resolved, resolveConfig } from './resolve.ts';

/** YAML is a superset of JSON, so one parser reads both. */
export function decodeConfigText(text: string, path: string): FileSource {
  try {
    return { path, value: parseYaml(text, { prettyErrors: false }) ?? {} };
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError([`${path}: not valid YAML/JSON: ${detail}`]);
  }
}

export async function readConfigFile(path: string): Promise<FileSource> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new ConfigError([`FORWARDER_CONFIG_FILE: cannot read ${path} (${code})`]);
  }
  return decodeConfigText(text, path);
}

export async function loadConfig(env: Env): Promise<Resolved> {
  const reading = readEnv(env);
  let file: FileSource | null = null;
  let fileIssues: readonly string[] = [];
  if (reading.configFile) {
    try {
      file = await readConfigFile(resolvePath(reading.configFile));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      fileIssues = err.issues;
    }
  }
  try {
    const resolved = resolveConfig(reading, file);
    if (fileIssues.length > 0) throw new ConfigError(fileIssues);
    return resolved;
  } catch (err) {
    if (err instanceof ConfigError && fileIssues.length > 0 && err.issues !== fileIssues) {
      throw new ConfigError([...fileIssues, ...err.issues]);
    }
    throw err;
  }
}
