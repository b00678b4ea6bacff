/**
 * Pure: env reading + parsed file → validated ForwarderConfig (defaults from the schema), or a ConfigError naming every bad
 * key at once (env keys by their env name, file keys as `<file>: path`).
 */
import type { z } from 'zod';
import { configFileSchema } from '../../contracts/config-file.ts';
import type { EnvReading } from './env.ts';
import type { ForwarderConfig } from './types.ts';

export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid forwarder configuration (${issues.length} problem(s)):\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export interface FileSource {
  path: string;
  /** Already-decoded YAML/JSON value (decode errors are reported by the caller). */
  value: unknown;
}

export interface Resolved {
  config: ForwarderConfig;
  /** Env keys whose value the file overrode (names only). */
  overriddenEnvKeys: string[];
}

function issuePath(issue: z.core.$ZodIssue): string {
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const base = issue.path.map(String).join('.');
  if (keys.length > 0) return keys.map((k) => (base ? `${base}.${k}` : k)).join(', ');
  return base || '(root)';
}

function envNameFor(path: string, sources: Map<string, string>): string {
  // Issues on list items carry an index (symbols.3): walk up to the key that was set.
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n -= 1) {
    const hit = sources.get(parts.slice(0, n).join('.'));
    if (hit) return hit;
  }
  return path;
}

function flattenPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return prefix ? [prefix] : [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    flattenPaths(v, prefix ? `${prefix}.${k}` : k),
  );
}

function deepMerge<T>(base: T, over: unknown): T {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return (over ?? base) as T;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = deepMerge(out[k], v);
  }
  return out as T;
}

/** The symbols an allowlist admits, in list order (pure). */
export function allowedSymbols(symbols: readonly string[], allowlist: readonly string[]): string[] {
  const allowed = new Set(allowlist);
  return symbols.filter((s) => allowed.has(s));
}

export function resolveConfig(env: EnvReading, file: FileSource | null): Resolved {
  const issues: string[] = env.issues.map((i) => `${i.key}: ${i.message}`);

  // Each source is checked alone first, so that an issue names where the bad value came from.
  const envValid = configFileSchema.safeParse(env.values);
  if (!envValid.success) {
    for (const issue of envValid.error.issues) {
      issues.push(`${envNameFor(issuePath(issue), env.sources)}: ${issue.message}`);
    }
  }
  let fileValues: unknown = {};
  if (file) {
    const parsed = configFileSchema.safeParse(file.value ?? {});
    if (parsed.success) fileValues = file.value ?? {};
    else
      for (const issue of parsed.error.issues)
        issues.push(`${file.path}: ${issuePath(issue)}: ${issue.message}`);
  }
  const filePaths = flattenPaths(fileValues);
  const overriddenEnvKeys = [
    ...new Set(filePaths.map((p) => env.sources.get(p)).filter((k): k is string => k !== undefined)),
  ];

  // Precedence per key: default < env < file. The written values are merged, then the schema
  // fills in every default once.
  const merged = configFileSchema.safeParse(deepMerge(envValid.success ? env.values : {}, fileValues));
  if (!merged.success) {
    for (const issue of merged.error.issues) issues.push(`${issuePath(issue)}: ${issue.message}`);
    throw new ConfigError(issues);
  }
  const { version: _version, ...s } = merged.data;
  const where = (path: string): string => {
    const fileHas = filePaths.some((p) => p === path || p.startsWith(`${path}.`));
    return fileHas && file ? `${file.path}: ${path}` : envNameFor(path, env.sources);
  };

  const keyId = env.secrets.alpacaKeyId;
  const secretKey = env.secrets.alpacaSecretKey;
  if (!keyId) issues.push('ALPACA_KEY_ID: required (env only)');
  if (!secretKey) issues.push('ALPACA_SECRET_KEY: required (env only)');

  const symbolsAllowlist = s.symbolsAllowlist ?? null;
  const symbols = symbolsAllowlist ? allowedSymbols(s.symbols, symbolsAllowlist) : s.symbols;
  if (symbolsAllowlist && s.symbols.length > 0 && symbols.length === 0)
    issues.push(
      `${where('symbolsAllowlist')}: none of the symbols (${where('symbols')}) is in the allowlist`,
    );
  const symbolsFrom = s.symbolsFrom ?? null;
  if (symbols.length === 0 && !symbolsFrom)
    issues.push(`${where('symbols')}: at least one symbol is required`);

  if (!Object.values(s.channels).some(Boolean))
    issues.push(`${where('channels')}: every channel is switched off`);

  if (s.tradeUpdates.enabled && !s.tradeUpdates.streamUrl) {
    issues.push(
      `${where('tradeUpdates.streamUrl')}: required when trade updates are enabled (ALPACA_TRADE_STREAM_URL)`,
    );
  }

  if (s.reconnect.maxMs < s.reconnect.baseMs) {
    issues.push(`${where('reconnect.maxMs')}: must be >= reconnect.baseMs (${s.reconnect.baseMs})`);
  }

  const k = s.kafka;
  const bootstrapServers = k.bootstrapServers ?? [];
  if (bootstrapServers.length === 0)
    issues.push('KAFKA_BOOTSTRAP: required (or kafka.bootstrapServers in the file)');
  let sasl: ForwarderConfig['kafka']['sasl'] = null;
  if (k.securityProtocol === 'SASL_PLAINTEXT' || k.securityProtocol === 'SASL_SSL') {
    const username = k.sasl.username;
    const password = env.secrets.kafkaSaslPassword;
    if (!username)
      issues.push(`${where('kafka.sasl.username')}: required for ${k.securityProtocol} (KAFKA_SASL_USER)`);
    if (!password) issues.push(`KAFKA_SASL_PASSWORD: required for ${k.securityProtocol} (env only)`);
    sasl = { mechanism: k.sasl.mechanism, username: username ?? '', password: password ?? '' };
  }

  if ((k.tls.certFile === undefined) !== (k.tls.keyFile === undefined)) {
    issues.push(
      `${where('kafka.tls.certFile')}: a client certificate needs its key and the other way round (KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE)`,
    );
  }

  const leaseEnabled = s.lease.enabled ?? env.podNamespace !== undefined;
  const leaseNamespace = s.lease.namespace ?? env.podNamespace ?? null;
  if (leaseEnabled && !leaseNamespace)
    issues.push(`${where('lease.enabled')}: needs POD_NAMESPACE or lease.namespace`);

  if (issues.length > 0) throw new ConfigError(issues);

  const config: ForwarderConfig = {
    ...s,
    credentials: { keyId: keyId as string, secretKey: secretKey as string },
    tradingUrl: s.tradingUrl ?? tradingUrlFrom(s.tradeUpdates.streamUrl ?? null),
    symbols,
    symbolsAllowlist,
    symbolsFrom,
    kafka: { ...k, bootstrapServers, sasl },
    lease: {
      enabled: leaseEnabled,
      namespace: leaseNamespace,
      durationSeconds: s.lease.durationSeconds,
    },
    configFile: file?.path ?? null,
  };
  return { config, overriddenEnvKeys };
}

/**
 * The trading API's REST base from the trade stream URL (wss://paper-api.alpaca.markets/stream →
 * https://paper-api.alpaca.markets), else the live trading API.
 */
export function tradingUrlFrom(tradeStreamUrl: string | null): string {
  if (tradeStreamUrl === null) return 'https://api.alpaca.markets';
  return tradeStreamUrl
    .replace(/^wss:/i, 'https:')
    .replace(/^ws:/i, 'http:')
    .replace(/\/stream\/*$/, '')
    .replace(/\/+$/, '');
}
