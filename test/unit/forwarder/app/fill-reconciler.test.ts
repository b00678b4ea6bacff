import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { FillActivities, FillWindow } from '../../../../forwarder/alpaca/fill-activities.ts';
import { AlpacaRestError } from '../../../../forwarder/alpaca/rest-client.ts';
import type { AlpacaEvent, StreamGap } from '../../../../forwarder/alpaca/types.ts';
import { createFillReconciler, FILL_WINDOW_LEAD_MS } from '../../../../forwarder/app/fill-reconciler.ts';
import type { FillRecovery } from '../../../../forwarder/app/gap-reports.ts';

const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);
const fill = (orderId: string): AlpacaEvent => ({
  channel: 'trade_updates',
  symbol: 'AAPL',
  payload: { event: 'fill', order: { id: orderId, filled_qty: '1' } },
  eventTs: '2026-01-05T15:00:00Z',
  receivedAtMs: T0,
  source: 'rest',
});

function setup(
  fills: (
    w: FillWindow,
  ) => Promise<{ events: AlpacaEvent[]; dropped: { id: string | null; reason: string }[] }>,
) {
  const windows: FillWindow[] = [];
  const activities: FillActivities = {
    fills: async (w) => {
      windows.push(w);
      return { ...(await fills(w)), pages: 1 };
    },
  };
  const delivered: AlpacaEvent[][] = [];
  const gaps: [StreamGap, FillRecovery | undefined][] = [];
  const issues: string[] = [];
  const r = createFillReconciler({
    activities,
    gapReports: { tradeUpdatesGap: (g, rec) => gaps.push([g, rec]) },
    onEvents: (b) => delivered.push(b),
    onDecodeIssue: (i) => issues.push(i.reason),
    logger: pino({ level: 'silent' }),
  });
  return { r, windows, delivered, gaps, issues };
}

test('a gap: fills from the window (with the lead) are delivered, then the gap is reported with the count', async () => {
  const s = setup(async () => ({ events: [fill('a'), fill('b')], dropped: [] }));
  const gap = { fromMs: T0 - 10_000, toMs: T0 };
  s.r.reconcile(gap);
  await s.r.idle();
  assert.deepEqual(s.windows, [{ afterMs: gap.fromMs - FILL_WINDOW_LEAD_MS, untilMs: gap.toMs }]);
  assert.deepEqual(
    s.delivered.map((b) => b.map((e) => (e.payload.order as { id: string }).id)),
    [['a', 'b']],
  );
  assert.deepEqual(s.gaps, [[gap, { fillsFetched: 2 }]]);
});

test('unmappable activities are counted as decode issues and named in the gap report', async () => {
  const s = setup(async () => ({
    events: [fill('a')],
    dropped: [{ id: 'x', reason: 'activity_bad_price' }],
  }));
  s.r.reconcile({ fromMs: T0 - 1, toMs: T0 });
  await s.r.idle();
  assert.deepEqual(s.issues, ['activity_bad_price']);
  assert.deepEqual(s.gaps[0]?.[1], {
    fillsFetched: 1,
    error: { errorClass: 'unknown', reason: 'activity_bad_price' },
  });
});

test('a REST failure delivers what was fetched and reports the gap with the failure', async () => {
  const s = setup(async () => {
    const err = new AlpacaRestError(403, 'alpaca_auth', 'alpaca_rest_403_forbidden', 'forbidden');
    err.partialEvents = [fill('a')];
    throw err;
  });
  s.r.reconcile({ fromMs: T0 - 1, toMs: T0 });
  await s.r.idle();
  assert.equal(s.delivered.length, 1);
  assert.deepEqual(s.gaps[0]?.[1], {
    fillsFetched: 1,
    error: { errorClass: 'alpaca_auth', reason: 'alpaca_rest_403_forbidden' },
  });
});

test('gaps are handled one at a time, in order', async () => {
  let release: () => void = () => {};
  const first = new Promise<void>((r) => {
    release = r;
  });
  let n = 0;
  const s = setup(async () => {
    n += 1;
    if (n === 1) await first;
    return { events: [fill(`g${n}`)], dropped: [] };
  });
  s.r.reconcile({ fromMs: T0 - 2, toMs: T0 - 1 });
  s.r.reconcile({ fromMs: T0 - 1, toMs: T0 });
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(s.windows.length, 1);
  release();
  await s.r.idle();
  assert.deepEqual(
    s.gaps.map(([g]) => g.toMs),
    [T0 - 1, T0],
  );
});
