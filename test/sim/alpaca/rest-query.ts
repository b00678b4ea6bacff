/**
 * Parsing and validation of historical REST query parameters (alpaca-protocol.md §5), pure.
 * Every problem names the parameter; the caller turns it into Alpaca's error answer.
 */
import { SimTime } from './sim-time.ts';

export type RestKind = 'bars' | 'trades' | 'quotes';

export interface Timeframe {
  amount: number;
  unit: 'Min' | 'Hour' | 'Day' | 'Week' | 'Month';
}

export interface RestQuery {
  kind: RestKind;
  symbols: string[];
  /** Single-symbol form (`/v2/stocks/{symbol}/bars`). */
  single: boolean;
  timeframe: Timeframe | null;
  start: SimTime | null;
  end: SimTime | null;
  limit: number;
  sort: 'asc' | 'desc';
  feed: string | null;
  pageToken: PageCursor | null;
}

/** Position after which the next page starts: symbol, time and arrival order of the last item sent. */
export interface PageCursor {
  symbol: string;
  tNs: bigint;
  seq: number;
}

export type QueryProblem = { status: 400 | 422; message: string };

const SYMBOL = /^[A-Z][A-Z0-9./-]{0,29}$/;
const FEEDS = ['iex', 'sip', 'delayed_sip', 'otc', 'boats'];
const UNIT_ALIASES: Record<string, Timeframe['unit']> = {
  Min: 'Min',
  T: 'Min',
  Hour: 'Hour',
  H: 'Hour',
  Day: 'Day',
  D: 'Day',
  Week: 'Week',
  W: 'Week',
  Month: 'Month',
  M: 'Month',
};

export function parseTimeframe(text: string): Timeframe | null {
  const m = /^(\d{1,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)$/.exec(text);
  if (m === null) return null;
  const amount = Number(m[1]);
  const unit = UNIT_ALIASES[m[2] as string] as Timeframe['unit'];
  const ok =
    (unit === 'Min' && amount >= 1 && amount <= 59) ||
    (unit === 'Hour' && amount >= 1 && amount <= 23) ||
    ((unit === 'Day' || unit === 'Week') && amount === 1) ||
    (unit === 'Month' && [1, 2, 3, 4, 6, 12].includes(amount));
  return ok ? { amount, unit } : null;
}

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.symbol}|${c.tNs}|${c.seq}`).toString('base64');
}

export function decodeCursor(token: string): PageCursor | null {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const m = /^([A-Z][A-Z0-9./-]*)\|(-?\d+)\|(\d+)$/.exec(text);
  if (m === null) return null;
  return { symbol: m[1] as string, tNs: BigInt(m[2] as string), seq: Number(m[3]) };
}

export function parseRestQuery(
  kind: RestKind,
  pathSymbol: string | null,
  params: URLSearchParams,
): { ok: true; query: RestQuery } | { ok: false; problem: QueryProblem } {
  const bad = (message: string): { ok: false; problem: QueryProblem } => ({
    ok: false,
    problem: { status: 422, message },
  });
  let symbols: string[];
  if (pathSymbol !== null) symbols = [pathSymbol];
  else {
    const raw = params.get('symbols');
    if (raw === null || raw.trim() === '')
      return { ok: false, problem: { status: 400, message: 'symbols is required' } };
    symbols = [...new Set(raw.split(',').map((s) => s.trim()))].sort();
  }
  const badSymbol = symbols.find((s) => !SYMBOL.test(s));
  if (badSymbol !== undefined) return bad(`invalid symbol: ${JSON.stringify(badSymbol)}`);

  let timeframe: Timeframe | null = null;
  if (kind === 'bars') {
    const raw = params.get('timeframe');
    if (raw === null) return { ok: false, problem: { status: 400, message: 'timeframe is required' } };
    timeframe = parseTimeframe(raw);
    if (timeframe === null) return bad(`invalid timeframe: ${JSON.stringify(raw)}`);
    const adj = params.get('adjustment');
    if (adj !== null && !['raw', 'split', 'dividend', 'all'].includes(adj)) {
      return bad(`invalid adjustment: ${JSON.stringify(adj)}`);
    }
  }
  const times: Record<'start' | 'end', SimTime | null> = { start: null, end: null };
  for (const name of ['start', 'end'] as const) {
    const raw = params.get(name);
    if (raw === null) continue;
    const t = SimTime.parse(raw);
    if (t === null) return bad(`invalid ${name}: ${JSON.stringify(raw)} (RFC 3339 or YYYY-MM-DD)`);
    times[name] = t;
  }
  if (times.start !== null && times.end !== null && times.end.ns < times.start.ns) {
    return bad('end should not be before start');
  }
  const rawLimit = params.get('limit');
  const limit = rawLimit === null ? 1000 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    return bad(`invalid limit: ${JSON.stringify(rawLimit)} (1 to 10000)`);
  }
  const sort = params.get('sort') ?? 'asc';
  if (sort !== 'asc' && sort !== 'desc') return bad(`invalid sort: ${JSON.stringify(sort)}`);
  const feed = params.get('feed');
  if (feed !== null && !FEEDS.includes(feed)) return bad(`invalid feed: ${JSON.stringify(feed)}`);
  const rawToken = params.get('page_token');
  let pageToken: PageCursor | null = null;
  if (rawToken !== null && rawToken !== '') {
    pageToken = decodeCursor(rawToken);
    if (pageToken === null) return bad('invalid page_token');
  }
  return {
    ok: true,
    query: {
      kind,
      symbols,
      single: pathSymbol !== null,
      timeframe,
      start: times.start,
      end: times.end,
      limit,
      sort,
      feed,
      pageToken,
    },
  };
}
