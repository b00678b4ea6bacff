/**
 * Which shared test infrastructure a run needs. `TEST_INFRA` is a comma list of `kafka`, `kube`
 * (default: both); `none` runs without any, for unit tests only.
 */
export type InfraPart = 'kafka' | 'kube';

const ALL: readonly InfraPart[] = ['kafka', 'kube'];

export function selectedInfra(env: NodeJS.ProcessEnv = process.env): Set<InfraPart> {
  const raw = env.TEST_INFRA?.trim();
  if (raw === undefined || raw === '') return new Set(ALL);
  if (raw === 'none') return new Set();
  const parts = raw.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(ALL as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw new Error(
      `TEST_INFRA: unknown part(s) ${unknown.join(', ')}; expected a comma list of ${ALL.join(', ')} or none`,
    );
  }
  return new Set(parts as InfraPart[]);
}
