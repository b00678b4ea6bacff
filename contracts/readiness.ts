/**
 * Readiness contract (design §3.2): the JSON body of the forwarder's GET /readyz, consumed by the
 * operator. Stable: change only with a reason in the commit message.
 */
import { z } from 'zod';

/** The stable error classes, most actionable first (the forwarder reports the first that applies). */
export const ERROR_CLASSES = [
  'alpaca_406_second_connection',
  'alpaca_auth',
  'kafka_auth',
  'kafka_metadata',
  'kafka_produce',
  /** Alpaca's acks leave wanted symbols out (resubscribed, bounded); the rest streams. */
  'subscription_incomplete',
  'unknown',
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

export const GATE_NAMES = ['alpaca_ws', 'kafka', 'trade_updates'] as const;
export type GateName = (typeof GATE_NAMES)[number];

export const readinessBodySchema = z.object({
  ready: z.boolean(),
  error_class: z.enum(ERROR_CLASSES).nullable(),
  /** A finer stable code, e.g. alpaca_402_auth_failed; never a raw upstream message. */
  reason: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/)
    .nullable(),
  gates: z.object({
    alpaca_ws: z.boolean(),
    kafka: z.boolean(),
    /** null when the trade_updates stream is disabled. */
    trade_updates: z.boolean().nullable(),
  }),
  /** RFC3339: when the current readiness state (ready + error_class + reason) began. */
  since: z.iso.datetime({ offset: true }),
  detail: z.record(z.string(), z.unknown()),
  /**
   * Symbols the forwarder wants right now (symbolsFrom's last good answer, else the static list;
   * after the allowlist). Optional: bodies without it still parse.
   */
  symbol_count: z.number().int().min(0).optional(),
});

export type ReadinessBody = z.infer<typeof readinessBodySchema>;
