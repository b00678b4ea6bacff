/**
 * The user-visible text of a `ReconcileError` Event. Events are read by anyone who can
 * `kubectl describe` the resource, so the text is fixed per error kind and carries only the
 * request the operator made and the `reason`/`message`/cause fields of the API server's Status
 * answer (truncated): never an exception's message, the raw response body or its headers.
 * Everything that is not an API server answer is "internal error, see the operator log".
 */
import { KubeError, type KubeErrorKind } from '../kube/errors.ts';

export const INTERNAL_ERROR_NOTE = 'internal error, see the operator log';
/** Bound of the Status message quoted in a note. */
export const STATUS_MESSAGE_MAX = 200;
/** Field paths quoted at most. */
export const FIELDS_MAX = 5;
/** Bound of the whole note (events.k8s.io/v1 allows 1 kB). */
export const NOTE_MAX = 512;

const VERB: Partial<Record<KubeErrorKind, string>> = {
  Invalid: 'the API server rejected',
  Forbidden: 'the API server forbade',
  Unauthorized: "the API server did not accept the operator's credentials for",
  NotFound: 'the API server found nothing for',
};

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function bounded(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function reconcileErrorNote(err: unknown): string {
  if (!(err instanceof KubeError) || err.status < 100) return INTERNAL_ERROR_NOTE;
  const verb = VERB[err.kind] ?? 'the API server refused';
  const request = err.request ? ` ${err.request}` : ' a request';
  const st = err.apiStatus;
  let note = `${verb}${request}: ${err.status}`;
  if (st?.reason) note += ` ${oneLine(st.reason)}`;
  if (st && st.fields.length > 0) {
    const shown = st.fields.slice(0, FIELDS_MAX).map(oneLine);
    const more = st.fields.length > FIELDS_MAX ? ` and ${st.fields.length - FIELDS_MAX} more` : '';
    note += ` (field ${shown.join(', ')}${more})`;
  }
  if (st?.message) note += `: ${bounded(oneLine(st.message), STATUS_MESSAGE_MAX)}`;
  return bounded(note, NOTE_MAX);
}
