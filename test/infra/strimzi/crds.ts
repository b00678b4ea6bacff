/**
 * Strimzi's own KafkaTopic and KafkaUser CRDs for the tests, from Maven Central only: the
 * io.strimzi:api jar (./pom.xml) builds them in its Crds class; StrimziCrds.java (a single-file
 * Java program) writes them as YAML. Classpath and YAML are cached under
 * $PROJECT_CACHE/strimzi/<version>/ (keyed by the pom's digest); later runs never touch the
 * network. The same program checks rendered objects against Strimzi's model classes
 * (checkWithStrimziModel): Strimzi's CRDs accept any object, its model names unknown fields.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { projectCache } from '../kafka/version.ts';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const POM = join(HERE, 'pom.xml');
const PROGRAM = join(HERE, 'StrimziCrds.java');

export const STRIMZI_VERSION = '0.49.0';
export const STRIMZI_CRD_FILES = ['kafkatopics.kafka.strimzi.io.yaml', 'kafkausers.kafka.strimzi.io.yaml'];

function cacheDir(): string {
  return join(projectCache(), 'strimzi', STRIMZI_VERSION);
}

async function digest(): Promise<string> {
  const h = createHash('sha256');
  h.update(await readFile(POM, 'utf8'));
  h.update(await readFile(PROGRAM, 'utf8'));
  return h.digest('hex');
}

export interface StrimziCrds {
  /** The CRD YAML files, in the cache. */
  files: string[];
  classpath: string;
}

async function cached(): Promise<StrimziCrds | null> {
  const dir = cacheDir();
  const stamp = join(dir, 'inputs.sha256');
  const cpFile = join(dir, 'classpath.txt');
  if (!existsSync(stamp) || !existsSync(cpFile)) return null;
  if ((await readFile(stamp, 'utf8')).trim() !== (await digest())) return null;
  const classpath = (await readFile(cpFile, 'utf8')).trim();
  const files = STRIMZI_CRD_FILES.map((f) => join(dir, f));
  if (!classpath.split(':').every((e) => existsSync(e)) || !files.every((f) => existsSync(f))) return null;
  return { files, classpath };
}

function failure(what: string, err: unknown): Error {
  const e = err as { stdout?: string; stderr?: string; message: string };
  const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
  return new Error(`${what} failed:\n${out || e.message}`);
}

/** Resolves io.strimzi:api and writes the CRDs unless cached; logs what it does. */
export async function ensureStrimziCrds(log: (m: string) => void = defaultLog): Promise<StrimziCrds> {
  const hit = await cached();
  if (hit) return hit;
  const dir = cacheDir();
  await mkdir(dir, { recursive: true });
  const cpFile = join(dir, 'classpath.txt');
  log(`resolving io.strimzi:api ${STRIMZI_VERSION} from Maven Central with ${POM} (list cached in ${dir})`);
  try {
    await run(
      'mvn',
      ['-B', '-q', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${cpFile}.partial`],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (err) {
    throw failure(
      `mvn dependency:build-classpath -f ${POM} (Maven Central must be reachable on the first run)`,
      err,
    );
  }
  await rename(`${cpFile}.partial`, cpFile);
  const classpath = (await readFile(cpFile, 'utf8')).trim();
  try {
    await run('java', ['-cp', classpath, PROGRAM, 'write', dir], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw failure(`java ${PROGRAM} write ${dir}`, err);
  }
  await writeFile(join(dir, 'inputs.sha256'), `${await digest()}\n`);
  const done = await cached();
  if (!done) throw new Error(`Strimzi CRDs were not written to ${dir}; remove it and retry`);
  log(`Strimzi ${STRIMZI_VERSION} KafkaTopic and KafkaUser CRDs written to ${dir}`);
  return done;
}

/**
 * Reads each object into Strimzi's model (io.strimzi.api.kafka.model.*); rejects naming every
 * property the model does not know, or a kind/enum value it cannot read.
 */
export async function checkWithStrimziModel(objects: readonly unknown[]): Promise<void> {
  const crds = await ensureStrimziCrds();
  const dir = await mkdtemp(join(tmpdir(), 'strimzi-check-'));
  try {
    const files = await Promise.all(
      objects.map(async (o, i) => {
        const f = join(dir, `${i}.json`);
        await writeFile(f, JSON.stringify(o));
        return f;
      }),
    );
    try {
      await run('java', ['-cp', crds.classpath, PROGRAM, 'check', ...files], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      throw failure("Strimzi's model refused the rendered objects", err);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function defaultLog(msg: string): void {
  process.stderr.write(`[strimzi] ${msg}\n`);
}
