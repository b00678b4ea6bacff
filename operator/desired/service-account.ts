/** The forwarder's own ServiceAccount (its token is used only for the Lease). */
import type { V1ServiceAccount } from '@kubernetes/client-node';
import type { AlpacaForwarder } from '../api/types.ts';
import { childMetadata } from './names.ts';

export function buildServiceAccount(af: AlpacaForwarder): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: childMetadata(af, 'rbac'),
    automountServiceAccountToken: true,
  };
}
