/** The Lease name is a contract with the operator (its Role names this Lease): see contracts/. */
export { LEASE_NAME_PREFIX, leaseNameForKeyId } from '../../contracts/lease-name.ts';
