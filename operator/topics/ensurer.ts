/**
 * Mode ensure inside the reconcile: runs an ensure pass (ensure.ts) for one resource when its
 * desired topics, connection settings or admin Secret changed, after a failure once RETRY_MS
 * passed, and otherwise every RECHECK_MS (a mismatch made later is found); between passes it
 * answers from memory, so a reconcile costs no Kafka round trip. Each pass opens one Admin
 * client and closes it. Secret values are read for the pass and dropped.
 */
import type { Logger } from 'pino';
import type { AlpacaForwarder } from '../api/types.ts';
import { shortHash } from '../desired/hash.ts';
import type { SecretProblem } from '../status/compute.ts';
import type { TopicAdminFactory } from './admin.ts';
import { adminConnection, adminSecretKeys } from './connection.ts';
import { desiredTopics } from './desired.ts';
import { type EnsureOutcome, ensureTopics } from './ensure.ts';

export const RECHECK_MS = 10 * 60_000;
export const RETRY_MS = 30_000;

export type TopicsState =
  | Exclude<EnsureOutcome, { kind: 'failed' }>
  | Omit<Extract<EnsureOutcome, { kind: 'failed' }>, 'error'>
  | { kind: 'secret'; problem: SecretProblem };

export interface TopicsResult {
  state: TopicsState;
  /** When the next pass is due (ms from now): the reconcile requeues for it. */
  nextCheckMs: number;
}

export interface EnsurerDeps {
  admin: TopicAdminFactory;
  readSecret(
    namespace: string,
    name: string,
    keys: readonly string[],
  ): Promise<Map<string, Buffer> | undefined>;
  /** resourceVersion of a cached Secret (a change starts a new pass); undefined without a cache. */
  secretVersion?(namespace: string, name: string): string | undefined;
  now(): number;
  logger: Logger;
}

interface Memo {
  fingerprint: string;
  at: number;
  state: TopicsState;
}

export class TopicsEnsurer {
  readonly #deps: EnsurerDeps;
  readonly #memo = new Map<string, Memo>();

  constructor(deps: EnsurerDeps) {
    this.#deps = deps;
  }

  forget(key: string): void {
    this.#memo.delete(key);
  }

  async ensure(key: string, af: AlpacaForwarder): Promise<TopicsResult> {
    const ns = af.metadata.namespace;
    const needs = adminSecretKeys(af);
    const desired = desiredTopics(af);
    const k = af.spec.kafka;
    const fingerprint = shortHash({
      desired,
      brokers: k.bootstrapServers,
      protocol: k.securityProtocol,
      mechanism: k.sasl?.mechanism,
      secrets: needs.map((n) => [n, this.#deps.secretVersion?.(ns, n.secret) ?? null]),
    });
    const now = this.#deps.now();
    const memo = this.#memo.get(key);
    const interval = (s: TopicsState) => (s.kind === 'ensured' ? RECHECK_MS : RETRY_MS);
    if (memo && memo.fingerprint === fingerprint && now - memo.at < interval(memo.state)) {
      return { state: memo.state, nextCheckMs: interval(memo.state) - (now - memo.at) };
    }
    const state = await this.#pass(af, needs, desired);
    this.#memo.set(key, { fingerprint, at: now, state });
    return { state, nextCheckMs: interval(state) };
  }

  async #pass(
    af: AlpacaForwarder,
    needs: ReturnType<typeof adminSecretKeys>,
    desired: ReturnType<typeof desiredTopics>,
  ): Promise<TopicsState> {
    const ns = af.metadata.namespace;
    const values = new Map<string, Map<string, Buffer> | undefined>();
    for (const n of needs) {
      const prev = values.get(n.secret);
      const got = await this.#deps.readSecret(ns, n.secret, [...n.required, ...n.optional]);
      values.set(n.secret, prev && got ? new Map([...prev, ...got]) : got);
    }
    const conn = adminConnection(af, values);
    if (!conn.ok) return { kind: 'secret', problem: conn.problem };
    const admin = this.#deps.admin(conn.connection);
    try {
      const outcome = await ensureTopics(admin, desired);
      const log = this.#deps.logger.child({ namespace: ns, name: af.metadata.name });
      if (outcome.kind === 'failed') {
        // The raw error goes to the operator log only (the status carries the classified reason).
        log.warn({ err: outcome.error, reason: outcome.reason, step: outcome.step }, 'topic ensure failed');
        const { error: _error, ...rest } = outcome;
        return rest;
      }
      if (outcome.created.length > 0) log.info({ created: outcome.created }, 'topics created');
      if (outcome.mismatches.length > 0)
        log.warn({ mismatches: outcome.mismatches }, 'topic settings differ');
      return outcome;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}
