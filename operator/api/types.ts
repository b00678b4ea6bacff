/**
 * The AlpacaForwarder resource as the operator reads it (design §3.1). Spec and status types are
 * generated from the CRD (operator/api/generated); this module adds the object envelope and the
 * API coordinates.
 */
import type { AlpacaForwarderSpec, AlpacaForwarderStatus } from './generated/alpacaforwarder.ts';

export type { AlpacaForwarderSpec, AlpacaForwarderStatus } from './generated/alpacaforwarder.ts';

export const GROUP = 'torghut.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'AlpacaForwarder';
export const PLURAL = 'alpacaforwarders';
export const SHORT_NAME = 'af';

/** Field manager for the children's server-side apply. */
export const FIELD_MANAGER = 'alpacaforwarder-operator';
/** Separate field manager for /status writes. */
export const STATUS_FIELD_MANAGER = 'alpacaforwarder-operator-status';

export const CONDITION_TYPES = ['Ready', 'Progressing', 'Degraded', 'Stalled'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** metav1.Condition as stored in status.conditions. */
export type Condition = NonNullable<AlpacaForwarderStatus['conditions']>[number];

/** The metadata fields the operator uses (the API server always sets these on stored objects). */
export interface AlpacaForwarderMetadata {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  creationTimestamp?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface AlpacaForwarder {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: AlpacaForwarderMetadata;
  spec: AlpacaForwarderSpec;
  status?: AlpacaForwarderStatus;
}
