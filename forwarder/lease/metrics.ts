/** `alpaca_forwarder_lease_held` (gauge 1/0; -1 when the Lease is disabled), on the forwarder's registry. */
import { Gauge, type Registry } from 'prom-client';
import type { LeaseStatus } from '../../lib/lease/elector.ts';

export const LEASE_HELD_METRIC = 'alpaca_forwarder_lease_held';

export function createLeaseMetric(registry: Registry): (status: LeaseStatus | null) => void {
  const held = new Gauge({
    name: LEASE_HELD_METRIC,
    help: '1 while this process holds the connection Lease for its Alpaca credentials, 0 when not, -1 when the Lease is disabled',
    registers: [registry],
  });
  held.set(-1);
  return (status) => held.set(status === null ? -1 : status.phase === 'held' ? 1 : 0);
}
