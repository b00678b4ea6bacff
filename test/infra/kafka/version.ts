/**
 * Which Apache Kafka the tests run, and where its resolved classpath is cached (outside the repo).
 * Keep KAFKA_VERSION equal to `kafka.version` in ./pom.xml (a check in jars.ts enforces it).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const KAFKA_VERSION = '4.1.2';

export function projectCache(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.PROJECT_CACHE?.trim();
  if (explicit) return explicit;
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg || join(homedir(), '.cache'), 'torghut-alpaca');
}

export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(projectCache(env), 'kafka', KAFKA_VERSION);
}
