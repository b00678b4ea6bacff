/**
 * Reading spec.reconnect where it has two spellings. The 406 back-off is `after406Ms` (the
 * family's unit, beside baseMs and maxMs); `after406Seconds` is its deprecated spelling, read
 * only when after406Ms is unset. Both may be set: objects stored before after406Ms existed carry
 * the old CRD default `after406Seconds: 90`, which no field manager owns, so refusing both would
 * refuse every later edit that sets after406Ms. Neither has a CRD default now: unset, the
 * forwarder's own default applies (Alpaca's ~90 s lingering-connection window), taken from the
 * config-file contract so the two programs cannot disagree.
 */
import { CONFIG_DEFAULTS } from '../../contracts/config-file.ts';
import type { AlpacaForwarderSpec } from './types.ts';

export const DEFAULT_AFTER_406_MS = CONFIG_DEFAULTS.reconnect.cooldown406Ms;

/** The forwarder's back-off after a 406, in ms. */
export function after406Ms(
  reconnect: Pick<AlpacaForwarderSpec['reconnect'], 'after406Ms' | 'after406Seconds'>,
): number {
  if (reconnect.after406Ms !== undefined) return reconnect.after406Ms;
  if (reconnect.after406Seconds !== undefined) return reconnect.after406Seconds * 1000;
  return DEFAULT_AFTER_406_MS;
}
