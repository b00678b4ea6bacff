/** Builds a market-data stream wired to recorders and a manual clock. */
import type { Logger } from 'pino';
import type { DecodeIssue } from '../../../../../forwarder/alpaca/decode-issues.ts';
import {
  createMarketDataStream,
  type MarketDataStream,
  type MarketDataStreamConfig,
  type SubscriptionCheck,
} from '../../../../../forwarder/alpaca/market-data-stream.ts';
import { normaliseSubscriptions } from '../../../../../forwarder/alpaca/subscriptions.ts';
import type {
  AlpacaEvent,
  StreamGap,
  StreamState,
  SubscriptionSet,
} from '../../../../../forwarder/alpaca/types.ts';
import { createManualClock, type ManualClock } from '../../../../support/manual-clock.ts';
import { createRecorder, type Recorder } from '../../../../support/recorder.ts';
import { silentLogger } from '../../../../support/silent-logger.ts';

export interface Harness {
  stream: MarketDataStream;
  clock: ManualClock;
  states: Recorder<StreamState>;
  events: Recorder<AlpacaEvent>;
  batches: Recorder<AlpacaEvent[]>;
  gaps: Recorder<StreamGap>;
  issues: Recorder<DecodeIssue>;
  confirmed: Recorder<SubscriptionSet>;
  checks: Recorder<SubscriptionCheck>;
  resubscribes: Recorder<SubscriptionSet>;
}

export function createHarness(
  config: Partial<MarketDataStreamConfig> & { streamUrl: string },
  extra: { random?: () => number; logger?: Logger } = {},
): Harness {
  const clock = createManualClock();
  const states = createRecorder<StreamState>();
  const events = createRecorder<AlpacaEvent>();
  const batches = createRecorder<AlpacaEvent[]>();
  const gaps = createRecorder<StreamGap>();
  const issues = createRecorder<DecodeIssue>();
  const confirmed = createRecorder<SubscriptionSet>();
  const checks = createRecorder<SubscriptionCheck>();
  const resubscribes = createRecorder<SubscriptionSet>();
  const stream = createMarketDataStream(
    {
      feed: 'iex',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      subscriptions: normaliseSubscriptions({ trades: ['AAPL'], bars: ['AAPL', 'MSFT'] }),
      encoding: 'json',
      ...config,
    },
    {
      logger: extra.logger ?? silentLogger,
      clock,
      random: extra.random ?? (() => 0),
      onState: (s) => states.push(s),
      onEvents: (b) => {
        batches.push(b);
        for (const e of b) events.push(e);
      },
      onGap: (g) => gaps.push(g),
      onDecodeIssue: (i) => issues.push(i),
      onSubscriptionConfirmed: (s) => confirmed.push(s),
      onSubscriptionCheck: (c) => checks.push(c),
      onResubscribe: (s) => resubscribes.push(s),
    },
  );
  return { stream, clock, states, events, batches, gaps, issues, confirmed, checks, resubscribes };
}
