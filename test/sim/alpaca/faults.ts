/**
 * Fault switches that change what the next upgrades, auths and data frames get. The
 * per-connection actions (drop, close with a code, slow-client) live on the connections.
 */
import type { CalendarRow } from './calendar.ts';

export class Faults {
  /** Upgrades to refuse next, each with its HTTP status (e.g. 429), optionally only on one path. */
  private readonly upgradeRejections: { status: number; path: string | null }[] = [];
  /** Auth attempts that get 406 regardless of the table: count, or specific connection ids. */
  private force406Count = 0;
  private readonly force406Ids = new Set<number>();
  /** Mute: no data, pings still answered. `all` or connection ids. */
  mutedAll = false;
  readonly mutedIds = new Set<number>();
  /** Data frames to send twice: `*` (any connection) or per connection id. */
  private readonly duplicates = new Map<number | '*', number>();
  /** Minimum interval between upgrades on one path; faster ones get 429 (null = off). */
  upgradeMinIntervalMs: number | null = null;
  private readonly lastUpgradeAt = new Map<string, number>();
  /**
   * Symbols a subscribe leaves out of the set and the ack (the request is otherwise accepted), as
   * Alpaca may do with a symbol it does not take (every connection).
   */
  readonly withheld = new Set<string>();
  /** Responses for the next REST requests, in order (sim.overrideNextRest). */
  readonly restOverrides: { status?: number; body: string | Buffer; contentType?: string }[] = [];
  /** Statuses for the next /v2/calendar answers (sim.failCalendar); a status 0 drops the socket. */
  readonly calendarFailures: number[] = [];
  /** Calendar rows served instead of the static NYSE table (sim.setCalendar), or null. */
  calendarRows: CalendarRow[] | null = null;

  rejectUpgrades(status: number, count: number, path: string | null): void {
    for (let i = 0; i < count; i++) this.upgradeRejections.push({ status, path });
  }

  /** Status to answer this upgrade with, or null to accept it. */
  upgradeVerdict(path: string, now: number): number | null {
    const i = this.upgradeRejections.findIndex((r) => r.path === null || r.path === path);
    if (i >= 0) return (this.upgradeRejections.splice(i, 1)[0] as { status: number }).status;
    if (this.upgradeMinIntervalMs !== null) {
      const last = this.lastUpgradeAt.get(path);
      this.lastUpgradeAt.set(path, now);
      if (last !== undefined && now - last < this.upgradeMinIntervalMs) return 429;
    }
    return null;
  }

  force406(count: number, connId: number | null): void {
    if (connId === null) this.force406Count += count;
    else this.force406Ids.add(connId);
  }

  /** Whether this auth must get 406 (consumes the switch). */
  takeForced406(connId: number): boolean {
    if (this.force406Ids.delete(connId)) return true;
    if (this.force406Count > 0) {
      this.force406Count--;
      return true;
    }
    return false;
  }

  isMuted(connId: number): boolean {
    return this.mutedAll || this.mutedIds.has(connId);
  }

  duplicateNext(connId: number | null, count: number): void {
    const k = connId ?? '*';
    this.duplicates.set(k, (this.duplicates.get(k) ?? 0) + count);
  }

  /** Whether the next data frame to `connId` is to be sent twice (consumes the switch). */
  takeDuplicate(connId: number): boolean {
    for (const k of [connId, '*'] as const) {
      const n = this.duplicates.get(k) ?? 0;
      if (n > 0) {
        this.duplicates.set(k, n - 1);
        return true;
      }
    }
    return false;
  }
}
