/**
 * Accounts the simulator accepts: key id → secret plus the plan (feeds, symbol cap, connection
 * limit, REST budget). Credential checks for the auth message and for upgrade/REST headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { StockFeed } from './protocol.ts';

export interface AccountPlan {
  /** Stream feeds the plan covers; others get 409 at auth. Default: iex, delayed_sip, test. */
  feeds: StockFeed[];
  /** Distinct symbols allowed across all channels (`*` excluded); null = unlimited. Default 30. */
  symbolLimit: number | null;
  /** Concurrent authenticated stream sessions per endpoint. Default 1. */
  connectionLimit: number;
  /** REST requests per minute. Default 200. */
  restRequestsPerMinute: number;
  /** Whether REST may return SIP data younger than 15 minutes. Default false. */
  recentSip: boolean;
}

export interface Account extends AccountPlan {
  keyId: string;
  secret: string;
  /** Tokens accepted as `oauth`/`access_token` secrets or `Authorization: Bearer`. */
  tokens: string[];
}

export type AccountInput = { secret: string; tokens?: string[] } & Partial<AccountPlan>;

export const FREE_PLAN: AccountPlan = {
  feeds: ['iex', 'delayed_sip', 'test'],
  symbolLimit: 30,
  connectionLimit: 1,
  restRequestsPerMinute: 200,
  recentSip: false,
};

export const PAID_PLAN: AccountPlan = {
  feeds: ['iex', 'sip', 'delayed_sip', 'test'],
  symbolLimit: null,
  connectionLimit: 1,
  restRequestsPerMinute: 10_000,
  recentSip: true,
};

export class AccountBook {
  private readonly byKey = new Map<string, Account>();

  constructor(accounts: Record<string, AccountInput>) {
    for (const [keyId, input] of Object.entries(accounts)) this.set(keyId, input);
  }

  set(keyId: string, input: AccountInput): Account {
    if (keyId === '' || typeof input.secret !== 'string' || input.secret === '') {
      throw new Error(`account ${JSON.stringify(keyId)}: key id and secret must be non-empty strings`);
    }
    const account: Account = {
      ...FREE_PLAN,
      ...input,
      keyId,
      secret: input.secret,
      tokens: input.tokens ?? [],
    };
    this.byKey.set(keyId, account);
    return account;
  }

  get(keyId: string): Account | undefined {
    return this.byKey.get(keyId);
  }

  all(): Account[] {
    return [...this.byKey.values()];
  }

  /** Checks an auth message's key/secret, including the literal `oauth`/`access_token` keys. */
  check(key: unknown, secret: unknown): Account | null {
    if (typeof key !== 'string' || typeof secret !== 'string') return null;
    if (key === 'oauth' || key === 'access_token') return this.byToken(secret);
    const account = this.byKey.get(key);
    return account !== undefined && account.secret === secret ? account : null;
  }

  byToken(token: string): Account | null {
    for (const a of this.byKey.values()) if (a.tokens.includes(token)) return a;
    return null;
  }

  /**
   * Credentials from request headers: APCA-API-KEY-ID/APCA-API-SECRET-KEY, Authorization Basic
   * or Bearer. `absent` when none are present, `invalid` when present but wrong.
   */
  fromHeaders(
    headers: IncomingHttpHeaders,
  ): { state: 'absent' } | { state: 'invalid' } | { state: 'ok'; account: Account } {
    const keyId = headers['apca-api-key-id'];
    const secret = headers['apca-api-secret-key'];
    if (keyId !== undefined || secret !== undefined) {
      const account = this.check(keyId, secret);
      return account === null ? { state: 'invalid' } : { state: 'ok', account };
    }
    const auth = headers.authorization;
    if (auth === undefined) return { state: 'absent' };
    const [scheme, value = ''] = auth.split(' ', 2);
    let account: Account | null = null;
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) account = this.check(decoded.slice(0, colon), decoded.slice(colon + 1));
    } else if (scheme?.toLowerCase() === 'bearer') {
      account = this.byToken(value);
    }
    return account === null ? { state: 'invalid' } : { state: 'ok', account };
  }
}
