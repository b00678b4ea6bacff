/**
 * The operator's configuration from environment variables, validated with zod (design §4.10):
 * every bad variable is named in one error; numbers and booleans never fall back to a default
 * when they are set but malformed.
 */
import { z } from 'zod';

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const bool = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');

const dnsName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label')
  .max(63);

const namespaces = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(z.array(dnsName));

export const envSchema = z
  .object({
    /** Comma list of namespaces to watch; empty or unset = all namespaces. */
    WATCH_NAMESPACES: namespaces.default([]),
    /** Namespace the operator runs in (its Lease lives there). */
    OPERATOR_NAMESPACE: dnsName.default('alpaca-forwarder-system'),
    /** Identity in the Lease (the pod name in-cluster). */
    POD_NAME: z.string().min(1).max(253).optional(),
    /**
     * Concurrent reconciles (they wait on the API server, not on CPU; all share one HTTP/2
     * connection). A first reconcile is ~5 API round trips (three apply waves, status, Event).
     * bench/operator at 1,000 on a loaded machine: 32 workers lost the Lease 6 times (renewals
     * queued behind the applies) and peaked at 282 MiB; 8 kept it and stayed at 178 MiB.
     */
    WORKERS: int(1, 64).default(8),
    PROBE_INTERVAL_NOT_READY_SECONDS: int(1, 3600).default(10),
    PROBE_INTERVAL_READY_SECONDS: int(1, 3600).default(30),
    /** /readyz answers from memory: 1 s, as the kubelet's default probe timeout. */
    PROBE_TIMEOUT_MS: int(100, 60_000).default(1000),
    /**
     * Readiness probes in flight at most (a pool separate from the reconcile workers). Probe
     * throughput is at most PROBE_CONCURRENCY / PROBE_TIMEOUT_MS when every pod is unreachable:
     * 128 / 1 s covers 1,000 not-ready resources probed every 10 s (100/s) with room to spare.
     */
    PROBE_CONCURRENCY: int(1, 1024).default(128),
    /**
     * How the operator reaches the forwarder's /readyz: the pod IP (default) or the Service DNS
     * name. The pod IP is the default because the forwarder's readinessProbe is /readyz itself:
     * a pod stuck on 406 is not Ready, so the Service has no endpoint for it and the operator
     * could never see the error class it must act on (unless the Service publishes not-ready
     * addresses).
     */
    PROBE_ADDRESS: z.enum(['service', 'pod']).default('pod'),
    LEADER_ELECTION: bool.default(true),
    LEASE_NAME: dnsName.default('alpaca-forwarder-operator'),
    LEASE_DURATION_SECONDS: int(2, 600).default(15),
    RENEW_DEADLINE_SECONDS: int(1, 599).default(10),
    RETRY_PERIOD_SECONDS: int(1, 300).default(2),
    /** How long shutdown waits for in-flight reconciles before giving up (the Lease is then not released). */
    SHUTDOWN_GRACE_SECONDS: int(1, 600).default(20),
    WATCH_TIMEOUT_SECONDS: int(10, 3600).default(290),
    WATCH_WATCHDOG_SECONDS: int(5, 3600).default(120),
    RESYNC_SECONDS: int(10, 86_400).default(600),
    /** Port of /healthz, /readyz and /metrics; 0 picks a free one (tests). */
    HTTP_PORT: int(0, 65535).default(8081),
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    /** Forwarder image for resources without spec.image (required: no silent default image). */
    FORWARDER_IMAGE: z.string().trim().min(1, 'must name the forwarder image').max(512),
    FORWARDER_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    FORWARDER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /** Where the forwarder reaches the API server (its Lease): NetworkPolicy egress. */
    API_SERVER_CIDRS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      )
      .pipe(z.array(z.cidrv4().or(z.cidrv6())).min(1))
      .default(['0.0.0.0/0']),
    API_SERVER_PORTS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      )
      .pipe(
        z.array(z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(65535))).min(1),
      )
      .default([443, 6443]),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine(
    (c) =>
      c.LEASE_DURATION_SECONDS > c.RENEW_DEADLINE_SECONDS &&
      c.RENEW_DEADLINE_SECONDS > c.RETRY_PERIOD_SECONDS,
    {
      message: 'need LEASE_DURATION_SECONDS > RENEW_DEADLINE_SECONDS > RETRY_PERIOD_SECONDS',
      path: ['LEASE_DURATION_SECONDS'],
    },
  );

export type OperatorConfig = z.output<typeof envSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): OperatorConfig {
  const keys = Object.keys(envSchema.shape);
  // An empty variable counts as unset only for the namespace list; elsewhere it is an error.
  const picked = Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
  const parsed = envSchema.safeParse(picked);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid operator configuration:\n  ${lines.join('\n  ')}`);
}
