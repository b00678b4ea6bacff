/**
 * Command-line arguments of the standalone simulator (pure): every problem is named, none falls
 * back silently to a default.
 */
import { type AccountInput, PAID_PLAN } from './accounts.ts';

export interface CliConfig {
  host: string;
  port: number;
  eventsPerSecond: number;
  symbols: string[];
  accounts: Record<string, AccountInput>;
  lingerMs: number;
  logFrames: boolean;
}

export const CLI_USAGE = `usage: node test/sim/alpaca/cli.ts [--host 127.0.0.1] [--port 18765] [--rate 50]
  [--symbols AAPL,MSFT,SPY,TSLA,AMD] [--account KEY:SECRET[:free|paid]]... [--linger-ms 90000] [--log-frames]`;

export function parseCliArgs(
  argv: readonly string[],
): { ok: true; config: CliConfig } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const config: CliConfig = {
    host: '127.0.0.1',
    port: 18765,
    eventsPerSecond: 50,
    symbols: ['AAPL', 'MSFT', 'SPY', 'TSLA', 'AMD'],
    accounts: {},
    lingerMs: 90_000,
    logFrames: false,
  };
  const int = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (raw === undefined || !Number.isInteger(n) || n < min || n > max) {
      errors.push(`${name}: expected an integer ${min}..${max}, got ${JSON.stringify(raw ?? null)}`);
      return min;
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    switch (arg) {
      case '--host': {
        const v = value();
        if (v === undefined || v === '') errors.push('--host: missing value');
        else config.host = v;
        break;
      }
      case '--port':
        config.port = int('--port', value(), 0, 65535);
        break;
      case '--rate':
        config.eventsPerSecond = int('--rate', value(), 0, 1_000_000);
        break;
      case '--linger-ms':
        config.lingerMs = int('--linger-ms', value(), 0, 3_600_000);
        break;
      case '--log-frames':
        config.logFrames = true;
        break;
      case '--symbols': {
        const list = (value() ?? '').split(',').filter((s) => s !== '');
        const bad = list.filter((s) => !/^[A-Z][A-Z0-9./-]*$/.test(s));
        if (list.length === 0 || bad.length > 0)
          errors.push(`--symbols: expected upper-case symbols, got ${JSON.stringify(list)}`);
        else config.symbols = list;
        break;
      }
      case '--account': {
        const raw = value() ?? '';
        const [key, secret, plan = 'free', ...rest] = raw.split(':');
        if (!key || !secret || rest.length > 0 || (plan !== 'free' && plan !== 'paid')) {
          errors.push(`--account: expected KEY:SECRET[:free|paid], got ${JSON.stringify(raw)}`);
        } else {
          config.accounts[key] = plan === 'paid' ? { secret, ...PAID_PLAN } : { secret };
        }
        break;
      }
      default:
        errors.push(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (Object.keys(config.accounts).length === 0) {
    config.accounts = { PKTEST: { secret: 'SKTEST' }, PKPAID: { secret: 'SKPAID', ...PAID_PLAN } };
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
