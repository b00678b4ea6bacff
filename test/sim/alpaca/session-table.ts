/**
 * Per-(key id, endpoint) table of authenticated stream sessions. A newcomer beyond the limit is
 * refused (406); an existing session is never evicted. A clean close frees the slot at once; an
 * abrupt drop keeps it occupied until the lingering window has passed on the sim's clock.
 * "At once" means as soon as the close frame arrives, before the TCP close completes, so a client
 * that closes cleanly and reconnects immediately never races its own old session.
 */
import type { SimClock } from './clock.ts';

interface Slot {
  connId: number;
  /** True once the session has begun a clean close (close frame seen): its slot is free already. */
  closingCleanly: () => boolean;
  /** null while the connection is alive; epoch ms until which a dropped connection lingers. */
  lingerUntil: number | null;
}

export class SessionTable {
  private readonly slots = new Map<string, Slot[]>();
  private readonly clock: SimClock;
  lingerMs: number;

  constructor(clock: SimClock, lingerMs: number) {
    this.clock = clock;
    this.lingerMs = lingerMs;
  }

  /** Takes a slot for `connId`, or returns false when `limit` live or lingering sessions exist. */
  acquire(
    keyId: string,
    endpoint: string,
    connId: number,
    limit: number,
    closingCleanly: () => boolean = () => false,
  ): boolean {
    const slots = this.live(keyId, endpoint);
    if (slots.some((s) => s.connId === connId)) return true;
    if (slots.length >= limit) return false;
    slots.push({ connId, lingerUntil: null, closingCleanly });
    return true;
  }

  /** Frees the slot of `connId`: at once when clean, after the lingering window when abrupt. */
  release(connId: number, how: 'clean' | 'abrupt'): void {
    for (const [k, slots] of this.slots) {
      const i = slots.findIndex((s) => s.connId === connId && s.lingerUntil === null);
      if (i < 0) continue;
      if (how === 'clean') slots.splice(i, 1);
      else (slots[i] as Slot).lingerUntil = this.clock.now() + this.lingerMs;
      if (slots.length === 0) this.slots.delete(k);
    }
  }

  /** Forgets every session (a server restart loses its table). */
  clear(): void {
    this.slots.clear();
  }

  /** Sessions holding a slot now: live ones and those still lingering. */
  holders(
    keyId: string,
    endpoint: string,
  ): { connId: number; lingering: boolean; lingerUntil: number | null }[] {
    return this.live(keyId, endpoint).map((s) => ({
      connId: s.connId,
      lingering: s.lingerUntil !== null,
      lingerUntil: s.lingerUntil,
    }));
  }

  private live(keyId: string, endpoint: string): Slot[] {
    const k = `${keyId}\u0000${endpoint}`;
    const now = this.clock.now();
    const slots = (this.slots.get(k) ?? []).filter((s) =>
      s.lingerUntil === null ? !s.closingCleanly() : s.lingerUntil > now,
    );
    this.slots.set(k, slots);
    return slots;
  }
}
