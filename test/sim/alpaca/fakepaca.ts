/**
 * The always-on test stream (/v2/test): symbol FAKEPACA, a quote about every 5 s and a minute
 * bar just after each minute boundary, whatever the market hours (alpaca-protocol.md §1.1).
 */

import type { AlpacaSim } from './server.ts';
import { MINUTE_NS, SimTime } from './sim-time.ts';

export const FAKEPACA = 'FAKEPACA';

export function startFakepaca(sim: AlpacaSim): void {
  const clock = sim.clock;
  let lastMinute = SimTime.fromMs(clock.now()).floorTo(MINUTE_NS).ns;
  sim.addBackground(
    clock.setRepeating(5_000, () => {
      sim.push([sim.data.quote(FAKEPACA)], { feed: 'test' });
    }),
  );
  sim.addBackground(
    clock.setRepeating(1_000, () => {
      const minute = SimTime.fromMs(clock.now()).floorTo(MINUTE_NS).ns;
      if (minute === lastMinute) return;
      lastMinute = minute;
      sim.push([sim.data.bar(FAKEPACA, { t: new SimTime(minute - MINUTE_NS) })], { feed: 'test' });
    }),
  );
}
