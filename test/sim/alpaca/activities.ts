/**
 * Account activities (trading REST API, `GET /v2/account/activities`): the fills of every trade
 * update the sim was told about (pushTradeUpdate), per account, whether or not a trading socket
 * was listening. Served like Alpaca: a bare JSON array, `activity_types` filter, `direction`
 * (default desc), `after`/`until` (RFC3339 or date) on `transaction_time`, `page_size` (default
 * and maximum 100), `page_token` = the id of the last activity of the previous page (asc: results
 * start right after it; desc: end right before it). Ids are `YYYYMMDDhhmmssSSS::<uuid>` (UTC), so
 * they sort by time.
 */
import { randomUUID } from 'node:crypto';

export interface FillActivity {
  id: string;
  activity_type: 'FILL';
  transaction_time: string;
  type: 'fill' | 'partial_fill';
  price: string;
  qty: string;
  side: string;
  symbol: string;
  leaves_qty: string;
  order_id: string;
  cum_qty: string;
  order_status: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function s(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

function subtract(a: string, b: string): string {
  const n = Number(a) - Number(b);
  return Number.isFinite(n) && n > 0 ? String(Number(n.toFixed(9))) : '0';
}

/** The FILL activity of a trade update's `data`, or null when it is not a fill. */
export function fillActivityOf(data: Record<string, unknown>): FillActivity | null {
  const event = data.event;
  if (event !== 'fill' && event !== 'partial_fill') return null;
  const order = isRecord(data.order) ? data.order : {};
  const time = s(data.timestamp, new Date().toISOString());
  const ms = Date.parse(time);
  const stamp = new Date(Number.isNaN(ms) ? Date.now() : ms)
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17);
  const cum = s(order.filled_qty, s(data.qty, '0'));
  return {
    id: `${stamp}::${s(data.execution_id, randomUUID())}`,
    activity_type: 'FILL',
    transaction_time: time,
    type: event,
    price: s(data.price, '0'),
    qty: s(data.qty, '0'),
    side: s(order.side, 'buy'),
    symbol: s(order.symbol, ''),
    leaves_qty: subtract(s(order.qty, cum), cum),
    order_id: s(order.id, ''),
    cum_qty: cum,
    order_status: s(order.status, event === 'fill' ? 'filled' : 'partially_filled'),
  };
}

export type ActivitiesAnswer =
  | { status: 200; body: FillActivity[] }
  | { status: 422; body: { code: number; message: string } };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseTime(v: string): number | null {
  const ms = Date.parse(DATE.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isNaN(ms) ? null : ms;
}

/** The fills of each account, in the order they happened. */
export class ActivityLedger {
  private readonly byKey = new Map<string, FillActivity[]>();

  record(keyId: string, data: Record<string, unknown>): FillActivity | null {
    const a = fillActivityOf(data);
    if (a === null) return null;
    let list = this.byKey.get(keyId);
    if (list === undefined) {
      list = [];
      this.byKey.set(keyId, list);
    }
    list.push(a);
    list.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return a;
  }

  fills(keyId: string): FillActivity[] {
    return [...(this.byKey.get(keyId) ?? [])];
  }

  /** One page for `GET /v2/account/activities[/{type}]` (pure apart from reading the ledger). */
  page(keyId: string, pathType: string | null, q: URLSearchParams): ActivitiesAnswer {
    const bad = (message: string): ActivitiesAnswer => ({ status: 422, body: { code: 42210000, message } });
    const types = pathType !== null ? [pathType] : (q.get('activity_types')?.split(',') ?? []);
    for (const t of types) if (!/^[A-Z]{2,8}$/.test(t)) return bad(`invalid activity type: ${t}`);
    const direction = q.get('direction') ?? 'desc';
    if (direction !== 'asc' && direction !== 'desc') return bad(`invalid direction: ${direction}`);
    const sizeText = q.get('page_size');
    const size = sizeText === null ? 100 : Number(sizeText);
    if (!Number.isInteger(size) || size < 1 || size > 100) return bad(`invalid page_size: ${sizeText}`);
    const bounds: Record<string, number | null> = {};
    for (const k of ['after', 'until'] as const) {
      const v = q.get(k);
      bounds[k] = v === null ? null : parseTime(v);
      if (v !== null && bounds[k] === null) return bad(`invalid ${k}: ${v}`);
    }
    let list = types.length === 0 || types.includes('FILL') ? this.fills(keyId) : [];
    list = list.filter((a) => {
      const t = Date.parse(a.transaction_time);
      return (
        (bounds.after === null || t > (bounds.after as number)) &&
        (bounds.until === null || t < (bounds.until as number))
      );
    });
    if (direction === 'desc') list.reverse();
    const token = q.get('page_token');
    if (token !== null) {
      const i = list.findIndex((a) => (direction === 'asc' ? a.id > token : a.id < token));
      list = i < 0 ? [] : list.slice(i);
    }
    return { status: 200, body: list.slice(0, size) };
  }
}
