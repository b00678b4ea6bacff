/** Wires the forwarder's Alpaca streams to the simulator, sharing one manual clock. */

import type { DecodeIssue } from '../../../forwarder/alpaca/decode-issues.ts';
import {
  createMarketDataStream,
  type MarketDataStream,
  type MarketDataStreamConfig,
} from '../../../forwarder/alpaca/market-data-stream.ts';
import { normaliseSubscriptions } from '../../../forwarder/alpaca/subscriptions.ts';
import type { AlpacaEvent, StreamGap, StreamState } from '../../../forwarder/alpaca/types.ts';
import type { Clock } from '../../../lib/time/clock.ts';
import type { ManualClock } from '../../sim/alpaca/index.ts';
import { createRecorder, type Recorder } from '../../support/recorder.ts';
import { silentLogger } from '../../support/silent-logger.ts';

export function clockOf(sim: ManualClock): Clock {
  return { now: () => sim.now(), setTimeout: (fn, ms) => sim.setTimer(ms, fn) };
}

export interface SimStream {
  stream: MarketDataStream;
  states: Recorder<StreamState>;
  events: Recorder<AlpacaEvent>;
  gaps: Recorder<StreamGap>;
  issues: Recorder<DecodeIssue>;
  connecting(): number;
}

/** Timers that must not fire while a test jumps the clock (pings are answered over real sockets). */
export const QUIET_TIMING = { pingIntervalMs: 3_600_000, handshakeTimeoutMs: 3_600_000 };

export function simStream(
  clock: ManualClock,
  config: Partial<MarketDataStreamConfig> & { streamUrl: string },
  random: () => number = () => 0,
  hooks: { onEvents?(batch: AlpacaEvent[]): void; onState?(state: StreamState): void } = {},
): SimStream {
  const states = createRecorder<StreamState>();
  const events = createRecorder<AlpacaEvent>();
  const gaps = createRecorder<StreamGap>();
  const issues = createRecorder<DecodeIssue>();
  const stream = createMarketDataStream(
    {
      feed: 'iex',
      credentials: { keyId: 'PKTEST', secretKey: 'SKTEST' },
      subscriptions: normaliseSubscriptions({ trades: ['AAPL'], quotes: ['AAPL'], bars: ['AAPL', 'MSFT'] }),
      timing: QUIET_TIMING,
      ...config,
    },
    {
      logger: silentLogger,
      clock: clockOf(clock),
      random,
      onState: (s) => {
        states.push(s);
        hooks.onState?.(s);
      },
      onEvents: (b) => {
        for (const e of b) events.push(e);
        hooks.onEvents?.(b);
      },
      onGap: (g) => gaps.push(g),
      onDecodeIssue: (i) => issues.push(i),
    },
  );
  return {
    stream,
    states,
    events,
    gaps,
    issues,
    connecting: () => states.all.filter((s) => s.status === 'connecting').length,
  };
}
