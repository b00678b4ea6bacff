import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { createIssueReporter, type DecodeIssue } from '../../../../forwarder/alpaca/decode-issues.ts';
import { createManualClock } from '../../../support/manual-clock.ts';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, out), lines };
}

const flushLogs = () => new Promise((r) => setImmediate(r));

test('a burst of 50,000 malformed frames of 5 kinds is logged as one line per kind plus paced summaries', async () => {
  const { logger, lines } = capture();
  const clock = createManualClock();
  const seen: DecodeIssue[] = [];
  const report = createIssueReporter(logger, (i) => seen.push(i), { clock, summaryIntervalMs: 10_000 });
  const kinds: Omit<DecodeIssue, 'atMs'>[] = [
    { stream: 'market_data', kind: 'malformed_frame', type: null, reason: 'invalid_msgpack' },
    { stream: 'market_data', kind: 'malformed_frame', type: null, reason: 'invalid_json' },
    { stream: 'market_data', kind: 'malformed_message', type: 't', reason: 'missing_symbol' },
    { stream: 'market_data', kind: 'unknown_type', type: 'zz', reason: 'unknown_type' },
    { stream: 'market_data', kind: 'malformed_message', type: 't', reason: 'oversized_symbol' },
  ];
  for (let i = 0; i < 50_000; i += 1) {
    const k = kinds[i % kinds.length] as Omit<DecodeIssue, 'atMs'>;
    // Distinct unknown types (a hostile upstream) still share one kind.
    report({
      ...k,
      type: k.kind === 'unknown_type' ? `T${i}${'x'.repeat(i % 7 === 0 ? 5000 : 0)}` : k.type,
      atMs: clock.now(),
    });
    if (i % 10_000 === 9_999) clock.advance(5_000);
  }
  clock.advance(10_000);
  await flushLogs();
  assert.equal(seen.length, 50_000, 'every issue reaches the sink (metrics)');
  const first = lines.filter((l) => /first of its kind/.test(String(l.msg)));
  const summaries = lines.filter((l) => /since the last summary/.test(String(l.msg)));
  assert.equal(first.length, 5, 'one line per kind');
  // 25 s of issues + the tail: at most one summary per 10 s interval.
  assert.ok(summaries.length >= 1 && summaries.length <= 4, `${summaries.length} summaries`);
  assert.equal(lines.length, first.length + summaries.length);
  const counted = summaries.reduce((n, l) => n + (l.total as number), 0);
  assert.equal(counted, 50_000 - 5, 'the summaries count every issue not logged on its own');
  for (const l of lines) assert.ok(JSON.stringify(l).length < 2_000, 'upstream values are truncated');
});

test('not-forwarded messages (daily bars) stay at debug', async () => {
  const { logger, lines } = capture();
  const clock = createManualClock();
  const report = createIssueReporter(logger, undefined, { clock });
  for (let i = 0; i < 100; i += 1)
    report({ stream: 'market_data', kind: 'not_forwarded', type: 'd', reason: 'daily_bar', atMs: 0 });
  clock.advance(60_000);
  await flushLogs();
  assert.deepEqual(lines, []);
});
