/**
 * Historical REST API on the sim's HTTP server: `/v2/stocks/{bars|trades|quotes}` and
 * `/v2/stocks/{symbol}/{bars|trades|quotes}`, plus the trading API's `/v2/account/activities`
 * (activities.ts), with header auth (403), the per-minute request
 * budget (429 `too many requests.`), recent-SIP entitlement (403), parameter validation (400/422)
 * and pages built from what the stream emitted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCalendar } from './calendar.ts';
import type { SimContext } from './connection.ts';
import { buildPage } from './rest-pages.ts';
import { parseRestQuery, type RestKind } from './rest-query.ts';
import { newYorkMidnight, SimTime } from './sim-time.ts';

const RECENT_SIP_MS = 15 * 60_000;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(text);
}

/** Answers one REST request; a bug or odd input never takes the server down (500 instead). */
export function handleRest(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  try {
    answer(ctx, req, res);
  } catch (err) {
    if (!res.headersSent) sendJson(res, 500, { message: `internal error: ${(err as Error).message}` });
    ctx.log.add({ type: 'rest', at: ctx.clock.now(), path: req.url ?? '', status: 500, keyId: null });
  }
}

function answer(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://sim');
  const logged = `${url.pathname}${url.search}`;
  const finish = (status: number, keyId: string | null): void => {
    ctx.log.add({ type: 'rest', at: ctx.clock.now(), path: logged, status, keyId });
  };
  if (url.pathname === '/v2/calendar') {
    answerCalendarRequest(ctx, req, res, url, finish);
    return;
  }
  const activities = /^\/v2\/account\/activities(?:\/([^/]+))?$/.exec(url.pathname);
  const m = /^\/v2\/stocks\/(?:([^/]+)\/)?(bars|trades|quotes)$/.exec(url.pathname);
  if (m === null && activities === null) {
    sendJson(res, 404, { message: 'Not Found' });
    finish(404, null);
    return;
  }
  if (req.method !== 'GET') {
    sendJson(res, 405, { message: 'method not allowed' });
    finish(405, null);
    return;
  }
  const auth = ctx.accounts.fromHeaders(req.headers);
  if (auth.state !== 'ok') {
    sendJson(res, 403, { message: 'forbidden' });
    finish(403, null);
    return;
  }
  const account = auth.account;
  const budget = ctx.restBudget.take(account.keyId, account.restRequestsPerMinute);
  if (!budget.ok) {
    res
      .writeHead(429, { 'content-type': 'text/plain; charset=UTF-8', ...budget.headers })
      .end('too many requests.');
    finish(429, account.keyId);
    return;
  }
  const override = ctx.faults.restOverrides.shift();
  if (override !== undefined) {
    const status = override.status ?? 200;
    res
      .writeHead(status, {
        'content-type': override.contentType ?? 'application/json; charset=UTF-8',
        ...budget.headers,
      })
      .end(override.body);
    finish(status, account.keyId);
    return;
  }
  if (activities !== null) {
    const answer = ctx.activities.page(account.keyId, activities[1] ?? null, url.searchParams);
    sendJson(res, answer.status, answer.body, budget.headers);
    finish(answer.status, account.keyId);
    return;
  }
  if (m === null) return;
  let pathSymbol: string | null = null;
  try {
    pathSymbol = m[1] === undefined ? null : decodeURIComponent(m[1]);
  } catch {
    sendJson(
      res,
      422,
      { code: 42210000, message: `invalid symbol: ${JSON.stringify(m[1])}` },
      budget.headers,
    );
    finish(422, account.keyId);
    return;
  }
  const parsed = parseRestQuery(m[2] as RestKind, pathSymbol, url.searchParams);
  if (!parsed.ok) {
    const code = parsed.problem.status === 400 ? 40010001 : 42210000;
    sendJson(res, parsed.problem.status, { code, message: parsed.problem.message }, budget.headers);
    finish(parsed.problem.status, account.keyId);
    return;
  }
  const q = parsed.query;
  const now = ctx.clock.now();
  const feed = q.feed ?? (account.feeds.includes('sip') ? 'sip' : 'iex');
  const sipLimited = feed === 'sip' && !account.recentSip;
  if (sipLimited && q.end !== null && q.end.ms > now - RECENT_SIP_MS) {
    sendJson(res, 403, { message: 'subscription does not permit querying recent SIP data' }, budget.headers);
    finish(403, account.keyId);
    return;
  }
  const end = q.end ?? SimTime.fromMs(sipLimited ? now - RECENT_SIP_MS : now);
  const start = q.start ?? newYorkMidnight(SimTime.fromMs(now));
  const page = buildPage(ctx.history, q, start.ns, end.ns);
  const body: Record<string, unknown> = {};
  if (q.single) {
    const symbol = q.symbols[0] as string;
    body[q.kind] = page.items.get(symbol) ?? [];
    body.symbol = symbol;
  } else {
    body[q.kind] = Object.fromEntries(page.items);
  }
  body.next_page_token = page.nextPageToken;
  sendJson(res, 200, body, budget.headers);
  finish(200, account.keyId);
}

/** Trading API `/v2/calendar`: header auth (403), failures a test asked for, then the rows. */
function answerCalendarRequest(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  finish: (status: number, keyId: string | null) => void,
): void {
  if (req.method !== 'GET') {
    sendJson(res, 405, { message: 'method not allowed' });
    finish(405, null);
    return;
  }
  const auth = ctx.accounts.fromHeaders(req.headers);
  if (auth.state !== 'ok') {
    sendJson(res, 403, { message: 'forbidden' });
    finish(403, null);
    return;
  }
  const failure = ctx.faults.calendarFailures.shift();
  if (failure !== undefined) {
    if (failure === 0) {
      req.socket.destroy();
      finish(0, auth.account.keyId);
      return;
    }
    sendJson(res, failure, { message: 'internal server error' });
    finish(failure, auth.account.keyId);
    return;
  }
  const answer = answerCalendar(url.searchParams, ctx.clock.now(), ctx.faults.calendarRows);
  sendJson(res, answer.status, answer.body);
  finish(answer.status, auth.account.keyId);
}
