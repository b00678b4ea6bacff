/**
 * Resolves the broker's classpath from Maven Central once (`mvn dependency:build-classpath` on
 * ./pom.xml, jars land in ~/.m2) and caches the list under $PROJECT_CACHE/kafka/<version>/.
 * Later runs read the cached list, check every jar still exists, and never touch the network.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KAFKA_VERSION, kafkaCacheDir } from './version.ts';

const run = promisify(execFile);
const POM = join(dirname(fileURLToPath(import.meta.url)), 'pom.xml');

export interface CachedClasspath {
  /** Entries joined with ':' as `java -cp` wants them. */
  classpath: string;
  file: string;
}

async function pomDigest(): Promise<{ text: string; digest: string }> {
  const text = await readFile(POM, 'utf8');
  return { text, digest: createHash('sha256').update(text).digest('hex') };
}

function checkPomVersion(pom: string): void {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (m?.[1] !== KAFKA_VERSION) {
    throw new Error(
      `${POM}: kafka.version is ${m?.[1] ?? '(missing)'} but version.ts says ${KAFKA_VERSION}; make them equal`,
    );
  }
}

/** The cached classpath when it is complete and matches the current pom, else null. */
export async function readCachedClasspath(): Promise<CachedClasspath | null> {
  const dir = kafkaCacheDir();
  const file = join(dir, 'classpath.txt');
  const stampFile = join(dir, 'pom.sha256');
  if (!existsSync(file) || !existsSync(stampFile)) return null;
  const { digest } = await pomDigest();
  if ((await readFile(stampFile, 'utf8')).trim() !== digest) return null;
  const classpath = (await readFile(file, 'utf8')).trim();
  const entries = classpath.split(':').filter((e) => e !== '');
  if (entries.length === 0 || !entries.every((e) => existsSync(e))) return null;
  return { classpath: entries.join(':'), file };
}

/** Resolves the classpath with Maven unless cached; logs what it does. */
export async function ensureClasspath(log: (msg: string) => void = defaultLog): Promise<CachedClasspath> {
  const cached = await readCachedClasspath();
  if (cached) {
    log(`Kafka ${KAFKA_VERSION} classpath cached at ${cached.file}`);
    return cached;
  }
  const { text, digest } = await pomDigest();
  checkPomVersion(text);
  const dir = kafkaCacheDir();
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'classpath.txt');
  const partial = `${file}.partial`;
  log(
    `resolving Kafka ${KAFKA_VERSION} broker jars from Maven Central with ${POM} (into ~/.m2, list cached in ${dir})`,
  );
  const started = Date.now();
  try {
    await run('mvn', ['-B', '-q', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(
      `resolving the Kafka broker classpath failed (mvn dependency:build-classpath -f ${POM}); ` +
        `Maven Central must be reachable on the first run. Maven said:\n${out || e.message}`,
    );
  }
  await rename(partial, file);
  await writeFile(join(dir, 'pom.sha256'), `${digest}\n`);
  const resolved = await readCachedClasspath();
  if (!resolved)
    throw new Error(`Maven wrote ${file} but some listed jars do not exist; remove ${dir} and retry`);
  log(`Kafka ${KAFKA_VERSION} classpath resolved in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return resolved;
}

/** The classpath for starting a broker; a clear error when prepare has not run. */
export async function requireClasspath(): Promise<CachedClasspath> {
  const cached = await readCachedClasspath();
  if (cached) return cached;
  return ensureClasspath();
}

function defaultLog(msg: string): void {
  process.stderr.write(`[kafka] ${msg}\n`);
}
