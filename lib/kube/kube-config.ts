/**
 * Where the operator's and the forwarder's Kubernetes requests go and how they authenticate,
 * without @kubernetes/client-node (its import alone costs ~83 MB RSS): the forms of client-node's
 * KubeConfig.loadFromDefault() a pod or a developer's machine uses, in the same order:
 *  1. $KUBECONFIG (one file), else ~/.kube/config when it exists: the current context's cluster
 *     (`server`, `certificate-authority` / `-data`) and user (`client-certificate` / `-data` +
 *     `client-key` / `-data`, and/or `token` / `tokenFile`); relative paths are relative to the
 *     kubeconfig file, as kubectl reads them;
 *  2. in a pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with the service
 *     account's ca.crt and token (a projected token rotates: re-read every minute, like client-go).
 * Anything else (exec and auth-provider plugins, basic auth, impersonation, proxies,
 * insecure-skip-tls-verify, ...) is refused with a KubeConfigError naming the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go re-reads a token file once a minute. */
export const TOKEN_REFRESH_MS = 60_000;

/** Everything needed to reach the API server; secrets stay in memory and are never logged. */
export interface KubeClientConfig {
  /** e.g. `https://10.96.0.1:443` (a path prefix, if any, is kept). */
  server: string;
  /** PEM: the CA to trust; the system's roots when absent. */
  ca?: Buffer;
  /** PEM client certificate and key (both or neither). */
  cert?: Buffer;
  key?: Buffer;
  /** The bearer token to send now (re-reads a token file when due); absent: no Authorization. */
  token?: () => string;
  /** Where it came from, for logs: `in-cluster` or the kubeconfig path. */
  source: string;
}

/** The kubeconfig / service account cannot be used; the message names the field, never a secret. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: os.homedir(). */
  home?: string;
  /** Default: /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  /** For token refresh; default Date.now. */
  now?: () => number;
}

/** loadFromDefault()'s order: $KUBECONFIG, ~/.kube/config, in-cluster. */
export function loadDefaultKubeConfig(o: LoadOptions = {}): KubeClientConfig {
  const env = o.env ?? process.env;
  const now = o.now ?? Date.now;
  const fromEnv = env.KUBECONFIG?.trim();
  if (fromEnv) {
    const files = fromEnv.split(delimiter).filter((f) => f !== '');
    if (files.length > 1) {
      throw new KubeConfigError(`KUBECONFIG lists ${files.length} files; only one is read`);
    }
    return kubeConfigFromFile(files[0] as string, { now });
  }
  const home = join(o.home ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return kubeConfigFromFile(home, { now });
  if (env.KUBERNETES_SERVICE_HOST) {
    return inClusterKubeConfig({ env, now, ...(o.serviceAccountDir ? { dir: o.serviceAccountDir } : {}) });
  }
  throw new KubeConfigError(
    'no Kubernetes client config: KUBECONFIG is unset, ~/.kube/config does not exist and KUBERNETES_SERVICE_HOST is unset (not in a pod)',
  );
}

export function inClusterKubeConfig(
  o: { env?: NodeJS.ProcessEnv; dir?: string; now?: () => number } = {},
): KubeClientConfig {
  const env = o.env ?? process.env;
  const dir = o.dir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host) throw new KubeConfigError('in-cluster config: KUBERNETES_SERVICE_HOST is unset');
  if (!port || !/^\d{1,5}$/.test(port)) {
    throw new KubeConfigError(
      `in-cluster config: KUBERNETES_SERVICE_PORT is ${port ? 'not a port' : 'unset'}`,
    );
  }
  // An IPv6 service address needs brackets in a URL.
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca: readRequired(join(dir, 'ca.crt'), 'in-cluster config: service account ca.crt'),
    token: tokenFileSource(join(dir, 'token'), 'in-cluster config: service account token', o.now ?? Date.now),
    source: 'in-cluster',
  };
}

const IGNORED = new Set(['extensions']);
const CLUSTER_FIELDS = new Set(['server', 'certificate-authority', 'certificate-authority-data']);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
]);
// client-node's exportConfig() repeats the context's name inside it.
const CONTEXT_FIELDS = new Set(['cluster', 'user', 'namespace', 'name']);
/** Fields whose value is the default, written by some tools (client-node's exportConfig()): harmless. */
const DEFAULT_VALUES: Record<string, unknown> = { 'insecure-skip-tls-verify': false };

export function kubeConfigFromFile(file: string, o: { now?: () => number } = {}): KubeClientConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeConfigError(
      `kubeconfig ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${file}: not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  return kubeConfigFromObject(doc, { file, ...(o.now ? { now: o.now } : {}) });
}

/** The parsed kubeconfig document; `file` names it in errors and anchors relative paths. */
export function kubeConfigFromObject(
  doc: unknown,
  o: { file: string; now?: () => number },
): KubeClientConfig {
  const where = `kubeconfig ${o.file}`;
  const base = dirname(resolve(o.file));
  const path = (p: string) => (isAbsolute(p) ? p : join(base, p));
  if (!isRecord(doc)) throw new KubeConfigError(`${where}: not a mapping`);
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string' || contextName === '') {
    throw new KubeConfigError(`${where}: current-context is not set`);
  }
  const context = named(doc, 'contexts', 'context', contextName, where);
  const ctxWhere = `${where}: contexts[${contextName}].context`;
  refuseUnknown(context, CONTEXT_FIELDS, ctxWhere);
  const clusterName = requiredString(context, 'cluster', ctxWhere);
  const userName = typeof context.user === 'string' && context.user !== '' ? context.user : undefined;

  const cluster = named(doc, 'clusters', 'cluster', clusterName, where);
  const cWhere = `${where}: clusters[${clusterName}].cluster`;
  refuseUnknown(cluster, CLUSTER_FIELDS, cWhere);
  const server = requiredString(cluster, 'server', cWhere);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeConfigError(`${cWhere}.server is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new KubeConfigError(`${cWhere}.server: only https:// is supported (found ${url.protocol}//)`);
  }
  const config: KubeClientConfig = { server: server.replace(/\/+$/, ''), source: o.file };
  const ca = material(cluster, 'certificate-authority', cWhere, path);
  if (ca) config.ca = ca;

  if (userName !== undefined) {
    const user = named(doc, 'users', 'user', userName, where);
    const uWhere = `${where}: users[${userName}].user`;
    refuseUnknown(user, USER_FIELDS, uWhere);
    const cert = material(user, 'client-certificate', uWhere, path);
    const key = material(user, 'client-key', uWhere, path);
    if ((cert === undefined) !== (key === undefined)) {
      throw new KubeConfigError(
        `${uWhere}: ${cert ? 'client-certificate without client-key' : 'client-key without client-certificate'}`,
      );
    }
    if (cert && key) {
      config.cert = cert;
      config.key = key;
    }
    if (user.token !== undefined) {
      const token = requiredString(user, 'token', uWhere);
      config.token = () => token;
    } else if (user.tokenFile !== undefined) {
      const tokenFile = path(requiredString(user, 'tokenFile', uWhere));
      config.token = tokenFileSource(tokenFile, `${uWhere}.tokenFile`, o.now ?? Date.now);
    }
  }
  return config;
}

/** Reads the token now (fails if it cannot), then again when TOKEN_REFRESH_MS have passed; keeps the last one if a re-read fails. */
export function tokenFileSource(file: string, what: string, now: () => number): () => string {
  let token = readToken(file, what);
  let readAt = now();
  return () => {
    if (now() - readAt >= TOKEN_REFRESH_MS) {
      readAt = now();
      try {
        token = readToken(file, what);
      } catch {
        // Mid-rotation or briefly unreadable: the last token is still the best guess.
      }
    }
    return token;
  };
}

function readToken(file: string, what: string): string {
  const token = readRequired(file, what).toString('utf8').trim();
  if (token === '') throw new KubeConfigError(`${what} (${file}) is empty`);
  return token;
}

function readRequired(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new KubeConfigError(
      `${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** `<field>-data` (base64 PEM) or `<field>` (a file); both set is an error, as in kubectl. */
function material(
  o: Record<string, unknown>,
  field: string,
  where: string,
  path: (p: string) => string,
): Buffer | undefined {
  const data = o[`${field}-data`];
  const file = o[field];
  if (data !== undefined && file !== undefined) {
    throw new KubeConfigError(`${where}: both ${field} and ${field}-data are set`);
  }
  if (data !== undefined) {
    if (typeof data !== 'string' || data === '')
      throw new KubeConfigError(`${where}.${field}-data is not a string`);
    const pem = Buffer.from(data, 'base64');
    if (pem.length === 0) throw new KubeConfigError(`${where}.${field}-data is not base64`);
    return pem;
  }
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '')
      throw new KubeConfigError(`${where}.${field} is not a file path`);
    return readRequired(path(file), `${where}.${field}`);
  }
  return undefined;
}

function named(
  doc: Record<string, unknown>,
  list: string,
  field: string,
  name: string,
  where: string,
): Record<string, unknown> {
  const items = doc[list];
  if (!Array.isArray(items)) throw new KubeConfigError(`${where}: ${list} is not a list`);
  const item = items.find((i) => isRecord(i) && i.name === name);
  if (!isRecord(item)) throw new KubeConfigError(`${where}: ${list} has no entry named ${name}`);
  const value = item[field];
  if (!isRecord(value)) throw new KubeConfigError(`${where}: ${list}[${name}].${field} is not a mapping`);
  return value;
}

function refuseUnknown(o: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  for (const k of Object.keys(o)) {
    if (!known.has(k) && !IGNORED.has(k) && !(k in DEFAULT_VALUES && o[k] === DEFAULT_VALUES[k])) {
      throw new KubeConfigError(
        `${where}.${k} is not supported (only server, certificate-authority, client certificate/key and token are read)`,
      );
    }
  }
}

function requiredString(o: Record<string, unknown>, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v === '') throw new KubeConfigError(`${where}.${field} is not set`);
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
