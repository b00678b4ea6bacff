/**
 * Builder for trade_updates payloads (`data` of a `stream:"trade_updates"` message) with the
 * documented fields, decimal strings for price/qty/position_qty and order quantities.
 */
import { randomUUID } from 'node:crypto';

export type TradeUpdateEvent =
  | 'new'
  | 'fill'
  | 'partial_fill'
  | 'canceled'
  | 'expired'
  | 'done_for_day'
  | 'replaced'
  | 'accepted'
  | 'rejected'
  | 'pending_new'
  | 'stopped'
  | 'pending_cancel'
  | 'pending_replace'
  | 'calculated'
  | 'suspended'
  | 'order_replace_rejected'
  | 'order_cancel_rejected';

export interface TradeUpdateInput {
  event: TradeUpdateEvent;
  symbol: string;
  side?: 'buy' | 'sell';
  /** Decimal strings. */
  qty?: string;
  price?: string;
  positionQty?: string;
  orderId?: string;
  /** RFC 3339 with nanoseconds. */
  timestamp: string;
}

export function tradeUpdate(input: TradeUpdateInput): Record<string, unknown> {
  const qty = input.qty ?? '10';
  const price = input.price ?? '100.25';
  const fills = input.event === 'fill' || input.event === 'partial_fill';
  const filledQty = input.event === 'fill' ? qty : input.event === 'partial_fill' ? halve(qty) : '0';
  const status = STATUS_OF_EVENT[input.event];
  const order = {
    id: input.orderId ?? randomUUID(),
    client_order_id: randomUUID(),
    created_at: input.timestamp,
    updated_at: input.timestamp,
    submitted_at: input.timestamp,
    filled_at: input.event === 'fill' ? input.timestamp : null,
    asset_class: 'us_equity',
    symbol: input.symbol,
    qty,
    filled_qty: filledQty,
    filled_avg_price: fills ? price : null,
    order_class: '',
    order_type: 'market',
    type: 'market',
    side: input.side ?? 'buy',
    time_in_force: 'day',
    limit_price: null,
    stop_price: null,
    status,
    extended_hours: false,
  };
  const data: Record<string, unknown> = {
    event: input.event,
    at: input.timestamp,
    event_id: randomUUID(),
    timestamp: input.timestamp,
    order,
  };
  if (fills) {
    data.execution_id = randomUUID();
    data.price = price;
    data.qty = input.event === 'fill' ? qty : filledQty;
    data.position_qty = input.positionQty ?? filledQty;
  }
  return data;
}

const STATUS_OF_EVENT: Record<TradeUpdateEvent, string> = {
  new: 'new',
  fill: 'filled',
  partial_fill: 'partially_filled',
  canceled: 'canceled',
  expired: 'expired',
  done_for_day: 'done_for_day',
  replaced: 'replaced',
  accepted: 'accepted',
  rejected: 'rejected',
  pending_new: 'pending_new',
  stopped: 'stopped',
  pending_cancel: 'pending_cancel',
  pending_replace: 'pending_replace',
  calculated: 'calculated',
  suspended: 'suspended',
  order_replace_rejected: 'new',
  order_cancel_rejected: 'new',
};

function halve(qty: string): string {
  const n = Number(qty);
  return Number.isFinite(n) ? String(Math.floor(n / 2) || 1) : '1';
}
